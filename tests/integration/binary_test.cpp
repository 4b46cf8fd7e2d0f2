// SPDX-License-Identifier: Apache-2.0
// The built port_exporter binary as a user runs it: flags, exit codes, --once, the HTTP
// endpoints, SIGHUP reload and SIGTERM shutdown.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "http_client.h"
#include "process.h"
#include "socket_helpers.h"

namespace port_exporter {
namespace {

using test::ChildProcess;
using test::eventually;
using test::http_get;

constexpr const char* kBinary = PORT_EXPORTER_BINARY;

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/port_exporter_config_XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0) throw std::runtime_error("mkstemp");
    ::close(fd);
    path_ = name;
    write(text);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  void write(const std::string& text) const { std::ofstream(path_) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string config_watching(std::uint16_t port) {
  return "interval: 1s\nports:\n  - port: " + std::to_string(port) +
         "\n    protocols: [tcp]\n    expect: absent\n";
}

// A port free right now on 127.0.0.1, for the exporter's own web server.
int free_port() {
  test::TestSocket s = test::open_listener(Protocol::kTcp, "127.0.0.1");
  return s.local_port();
}

// Waits until the exporter on `port` answers `path` with 200.
bool comes_up(int port, const std::string& path) {
  return eventually([&] {
    try {
      return http_get(port, path).status == 200;
    } catch (const std::exception&) {
      return false;  // not listening yet
    }
  });
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(BinaryTest, VersionAndHelpExitZero) {
  ChildProcess version({kBinary, "--version"});
  EXPECT_EQ(version.wait(), 0);
  EXPECT_TRUE(contains(version.out(), "port_exporter, version ")) << version.out();
  ChildProcess help({kBinary, "--help"});
  EXPECT_EQ(help.wait(), 0);
  EXPECT_TRUE(contains(help.out(), "--web.listen-address"));
}

TEST(BinaryTest, UnknownFlagExitsTwo) {
  ChildProcess p({kBinary, "--no-such-flag"});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_TRUE(contains(p.err(), "unknown flag --no-such-flag")) << p.err();
}

TEST(BinaryTest, CheckConfigExitsZeroForValidAndTwoWithPositionForInvalid) {
  TempFile good(config_watching(2908));
  ChildProcess ok({kBinary, "--check-config", "--config.file=" + good.path()});
  EXPECT_EQ(ok.wait(), 0) << ok.err();
  TempFile bad("ports:\n  - port: 70000\n");
  ChildProcess invalid({kBinary, "--check-config", "--config.file=" + bad.path()});
  EXPECT_EQ(invalid.wait(), 2);
  EXPECT_TRUE(contains(invalid.err(), bad.path() + ":2:11:")) << invalid.err();
  EXPECT_TRUE(contains(invalid.err(), "70000")) << invalid.err();
}

TEST(BinaryTest, BadListenAddressExitsTwoBeforeAnyWork) {
  ChildProcess p({kBinary, "--web.listen-address=::1:0"});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_TRUE(contains(p.err(), "write an IPv6 address in brackets")) << p.err();
}

TEST(BinaryTest, InvalidConfigAtStartExitsTwo) {
  TempFile bad("interval: 15parsecs\nports:\n  - port: 2908\n");
  ChildProcess p({kBinary, "--config.file=" + bad.path(), "--web.listen-address=127.0.0.1:0"});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_TRUE(contains(p.err(), bad.path() + ":1:11:")) << p.err();
}

TEST(BinaryTest, OncePrintsTheCountsOfARealListener) {
  test::TestSocket listener = test::open_listener(Protocol::kTcp, "127.0.0.1");
  const std::string port = std::to_string(listener.local_port());
  TempFile config(config_watching(listener.local_port()));
  ChildProcess p({kBinary, "--once", "--config.file=" + config.path()});
  ASSERT_EQ(p.wait(), 0) << p.err();
  const std::string out = p.out();
  EXPECT_TRUE(
      contains(out, "port_listeners{port=\"" + port + "\",protocol=\"tcp\",family=\"ipv4\"} 1"))
      << out;
  EXPECT_TRUE(contains(out, "port_listener_info{port=\"" + port +
                                "\",protocol=\"tcp\",family=\"ipv4\",address=\"127.0.0.1\""));
  EXPECT_TRUE(contains(out, "process_resident_memory_bytes "));
}

// connection_states: only the kept states are printed (zeros included), and a real
// established connection is counted in both directions.
TEST(BinaryTest, OncePrintsOnlyTheConfiguredConnectionStates) {
  test::TestSocket listener = test::open_listener(Protocol::kTcp, "127.0.0.1");
  const int port_number = listener.local_port();
  test::TestSocket client =
      test::open_connection(Protocol::kTcp, "127.0.0.1", static_cast<std::uint16_t>(port_number));
  test::TestSocket server = test::accept_connection(listener);
  const std::string port = std::to_string(port_number);
  TempFile config("connection_states: [established, time_wait]\nports:\n  - port: " + port +
                  "\n    protocols: [tcp]\n");
  ChildProcess p({kBinary, "--once", "--config.file=" + config.path()});
  ASSERT_EQ(p.wait(), 0) << p.err();
  std::vector<std::string> lines;
  std::istringstream out(p.out());
  for (std::string line; std::getline(out, line);) {
    if (line.rfind("port_connections{", 0) == 0) lines.push_back(line);
  }
  const std::string prefix = "port_connections{port=\"" + port + "\",protocol=\"tcp\",family=\"";
  const std::vector<std::string> expected = {
      prefix + "ipv4\",direction=\"inbound\",state=\"established\"} 1",
      prefix + "ipv4\",direction=\"inbound\",state=\"time_wait\"} 0",
      prefix + "ipv4\",direction=\"outbound\",state=\"established\"} 1",
      prefix + "ipv4\",direction=\"outbound\",state=\"time_wait\"} 0",
      prefix + "ipv6\",direction=\"inbound\",state=\"established\"} 0",
      prefix + "ipv6\",direction=\"inbound\",state=\"time_wait\"} 0",
      prefix + "ipv6\",direction=\"outbound\",state=\"established\"} 0",
      prefix + "ipv6\",direction=\"outbound\",state=\"time_wait\"} 0"};
  EXPECT_EQ(lines, expected) << p.out();
}

// The README's series count, from a real --once output: 54 series per tcp+udp port with
// every state (port_listener_info aside: nothing listens), 30 with four states.
TEST(BinaryTest, OnceSeriesCountPerPortFollowsConnectionStates) {
  const auto port_series = [](const std::string& states_line) {
    TempFile config(states_line + "ports:\n  - port: 2908\n  - port: 2909\n");
    ChildProcess p({kBinary, "--once", "--config.file=" + config.path()});
    EXPECT_EQ(p.wait(), 0) << p.err();
    int count = 0;
    std::istringstream out(p.out());
    for (std::string line; std::getline(out, line);) {
      if (line.rfind("port_", 0) == 0 && line.rfind("port_exporter_", 0) != 0 &&
          line.rfind("port_listener_info", 0) != 0) {
        ++count;
      }
    }
    return count;
  };
  EXPECT_EQ(port_series(""), 2 * 54);
  EXPECT_EQ(port_series("connection_states: [established, syn_recv, time_wait, close_wait]\n"),
            2 * 30);
}

TEST(BinaryTest, ServesMetricsReloadsOnSighupAndStopsOnSigterm) {
  test::TestSocket first = test::open_listener(Protocol::kTcp, "127.0.0.1");
  test::TestSocket second = test::open_listener(Protocol::kTcp, "127.0.0.1");
  TempFile config(config_watching(first.local_port()));
  const int http_port = free_port();
  ChildProcess p({kBinary, "--config.file=" + config.path(),
                  "--web.listen-address=127.0.0.1:" + std::to_string(http_port)});
  ASSERT_TRUE(comes_up(http_port, "/-/ready")) << p.err();
  const std::string first_series = "port_listeners{port=\"" + std::to_string(first.local_port()) +
                                   "\",protocol=\"tcp\",family=\"ipv4\"} 1";
  EXPECT_TRUE(contains(http_get(http_port, "/metrics").body, first_series));

  // An invalid config is refused: the old one keeps running, the reload gauge says 0.
  config.write("ports: [\n");
  p.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return contains(http_get(http_port, "/metrics").body,
                    "port_exporter_config_last_reload_successful 0");
  })) << p.err();
  EXPECT_TRUE(contains(http_get(http_port, "/metrics").body, first_series));

  // A valid one is taken: the new port is watched at once.
  config.write(config_watching(second.local_port()));
  p.signal(SIGHUP);
  const std::string second_series = "port_listeners{port=\"" + std::to_string(second.local_port()) +
                                    "\",protocol=\"tcp\",family=\"ipv4\"} 1";
  EXPECT_TRUE(eventually([&] {
    return contains(http_get(http_port, "/metrics").body, second_series);
  })) << p.err();
  EXPECT_TRUE(contains(http_get(http_port, "/metrics").body,
                       "port_exporter_config_last_reload_successful 1"));

  EXPECT_EQ(http_get(http_port, "/metrics", "HEAD").status, 200);

  const auto before = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(std::chrono::seconds(1)), 0) << p.err();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1));
}

TEST(BinaryTest, SigintStopsWithinOneSecond) {
  const int http_port = free_port();
  ChildProcess p({kBinary, "--web.listen-address=127.0.0.1:" + std::to_string(http_port)});
  ASSERT_TRUE(comes_up(http_port, "/-/healthy")) << p.err();
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(std::chrono::seconds(1)), 0) << p.err();
}

}  // namespace
}  // namespace port_exporter
