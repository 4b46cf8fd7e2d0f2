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
  EXPECT_EQ(o->listen_address, ":12908");
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
  EXPECT_EQ(o->listen_address, "127.0.0.1:0");
  EXPECT_EQ(o->procfs, "/host/proc");
  EXPECT_EQ(o->log_level, log::Level::kDebug);
  EXPECT_EQ(o->log_format, log::Format::kJson);
  EXPECT_TRUE(o->once);
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

TEST(CliTest, RefusesWebConfigFileUntilSupported) {
  const auto o = parse_args({"--web.config.file=web.yml"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error(), "--web.config.file (TLS and basic auth) is not supported yet");
}

TEST(CliTest, BooleanFlagsTakeNoValue) {
  EXPECT_FALSE(parse_args({"--once=true"}).ok());
  EXPECT_TRUE(parse_args({"-h"})->show_help);
  EXPECT_TRUE(parse_args({"--version"})->show_version);
}

TEST(CliTest, UsageNamesEveryFlag) {
  const std::string text = usage("port_exporter");
  for (const char* flag :
       {"--config.file", "--web.listen-address", "--web.telemetry-path", "--path.procfs", "--once",
        "--check-config", "--log.level", "--log.format", "--version", "--help"}) {
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
