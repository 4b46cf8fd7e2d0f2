// SPDX-License-Identifier: Apache-2.0
#include "app/cli.h"

#include <gtest/gtest.h>

#include <regex>

#include "base/version.h"

namespace port_exporter {
namespace {

TEST(CliTest, DefaultsFollowTheContract) {
  const auto o = parse_args({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->config_file, "");
  EXPECT_EQ(o->listen_addresses, std::vector<std::string>{":12908"});
  EXPECT_EQ(o->web_config_file, "");
  EXPECT_EQ(o->telemetry_path, "/metrics");
  EXPECT_EQ(o->procfs, "/proc");
  EXPECT_FALSE(o->once);
  EXPECT_EQ(o->log_level, log::Level::kInfo);
  EXPECT_EQ(o->log_format, log::Format::kLogfmt);
}

TEST(CliTest, AcceptsEqualsAndSeparateValues) {
  const auto o = parse_args({"--config.file=/etc/p.yml", "--web.listen-address", "127.0.0.1:0",
                             "--path.procfs=/host/proc", "--log.level=debug", "--log.format",
                             "json", "--once"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->config_file, "/etc/p.yml");
  EXPECT_EQ(o->listen_addresses, std::vector<std::string>{"127.0.0.1:0"});
  EXPECT_EQ(o->procfs, "/host/proc");
  EXPECT_EQ(o->log_level, log::Level::kDebug);
  EXPECT_EQ(o->log_format, log::Format::kJson);
  EXPECT_TRUE(o->once);
}

TEST(CliTest, NamespaceAndPodLogPathsHaveDefaultsAndFlags) {
  const auto defaults = parse_args({});
  EXPECT_EQ(defaults->netns, "/run/netns");
  EXPECT_EQ(defaults->podlogs, "/var/log");
  const auto o = parse_args({"--path.netns=/host/run/netns", "--path.podlogs", "/host/var/log"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->netns, "/host/run/netns");
  EXPECT_EQ(o->podlogs, "/host/var/log");
  EXPECT_EQ(parse_args({"--path.netns="}).error(), "--path.netns must not be empty");
}

TEST(CliTest, RejectsUnknownFlagByName) {
  const auto o = parse_args({"--web.listen-adress=:1"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(), "unknown flag --web.listen-adress");
}

TEST(CliTest, RejectsMissingValue) {
  const auto o = parse_args({"--config.file"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(), "--config.file needs a value");
}

TEST(CliTest, RejectsBadLogLevel) {
  const auto o = parse_args({"--log.level=verbose"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(),
            "--log.level: invalid log level \"verbose\": use debug, info, warn or error");
}

TEST(CliTest, RejectsTelemetryPathWithoutSlash) {
  EXPECT_FALSE(parse_args({"--web.telemetry-path=metrics"}).ok());
  EXPECT_FALSE(parse_args({"--web.telemetry-path=/"}).ok());
  EXPECT_TRUE(parse_args({"--web.telemetry-path=/m"}).ok());
}

TEST(CliTest, ListenAddressRepeatsAndReplacesTheDefault) {
  const auto o = parse_args({"--web.listen-address=127.0.0.1:1", "--web.listen-address", "[::1]:2",
                             "--web.config.file=web.yml"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->listen_addresses, (std::vector<std::string>{"127.0.0.1:1", "[::1]:2"}));
  EXPECT_EQ(o->web_config_file, "web.yml");
  EXPECT_EQ(parse_args({"--web.config.file="}).error(), "--web.config.file must not be empty");
}

TEST(CliTest, BooleanFlagsTakeNoValue) {
  EXPECT_FALSE(parse_args({"--once=true"}).ok());
  EXPECT_TRUE(parse_args({"-h"})->show_help);
  EXPECT_TRUE(parse_args({"--version"})->show_version);
}

TEST(CliTest, UsageNamesEveryFlag) {
  const std::string text = usage("port_exporter");
  for (const char* flag :
       {"--config.file", "--web.listen-address", "--web.telemetry-path", "--web.config.file",
        "--path.procfs", "--path.netns", "--path.podlogs", "--once", "--check-config",
        "--log.level", "--log.format", "--version", "--help"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  }
}

// The five lines of `prometheus --version`, "go version" replaced by the compiler.
TEST(CliTest, VersionTextHasThePrometheusLayout) {
  const std::string text = version_text();
  const std::regex layout(
      "port_exporter, version [0-9]+\\.[0-9]+\\.[0-9]+ \\(branch: [^,]+, revision: [^)]+\\)\n"
      "  build user:       [^\n]+\n"
      "  build date:       [0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}\n"
      "  compiler:         [^\n]+ [0-9.]+\n"
      "  platform:         linux/[a-z0-9_]+\n");
  EXPECT_TRUE(std::regex_match(text, layout)) << text;
  EXPECT_NE(text.find(std::string("version ") + kVersion + " "), std::string::npos) << text;
  EXPECT_NE(text.find(std::string("revision: ") + kRevision + ")"), std::string::npos) << text;
}

}  // namespace
}  // namespace port_exporter
