// The built port_exporter binary as a user runs it: flags, exit codes, --once, the HTTP
// endpoints, SIGHUP reload and SIGTERM shutdown.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

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

// Issue 9: a 2-byte config (",\n") hung the reload forever and grew ~250 MB/s while
// /-/ready said 200. Now it is refused at once and the last good config keeps running.
TEST(BinaryTest, HostileReloadIsRefusedAndTheOldConfigKeepsRunning) {
  test::TestSocket listener = test::open_listener(Protocol::kTcp, "127.0.0.1");
  TempFile config(config_watching(listener.local_port()));
  const int http_port = free_port();
  ChildProcess p({kBinary, "--config.file=" + config.path(),
                  "--web.listen-address=127.0.0.1:" + std::to_string(http_port)});
  ASSERT_TRUE(comes_up(http_port, "/-/ready")) << p.err();
  config.write(",\n");
  p.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return contains(http_get(http_port, "/metrics").body,
                    "port_exporter_config_last_reload_successful 0");
  })) << p.err();
  EXPECT_TRUE(contains(p.err(),
                       ":1:1: invalid YAML: unexpected token where a document should "
                       "start"))
      << p.err();
  EXPECT_TRUE(contains(http_get(http_port, "/metrics").body,
                       "port_listeners{port=\"" + std::to_string(listener.local_port()) +
                           "\",protocol=\"tcp\",family=\"ipv4\"} 1"));
  EXPECT_EQ(http_get(http_port, "/-/ready").status, 200);
}

TEST(BinaryTest, ReloadDroppingMostPortsIsLoggedAsAWarning) {
  std::string four = "interval: 1s\nports:\n";
  for (int port : {2901, 2902, 2903, 2904}) {
    four += "  - {port: " + std::to_string(port) + ", protocols: [tcp]}\n";
  }
  TempFile config(four);
  const int http_port = free_port();
  ChildProcess p({kBinary, "--config.file=" + config.path(),
                  "--web.listen-address=127.0.0.1:" + std::to_string(http_port)});
  ASSERT_TRUE(comes_up(http_port, "/-/ready")) << p.err();
  config.write("interval: 1s\nports:\n  - {port: 2901, protocols: [tcp]}\n");
  p.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return contains(p.err(), "config reloaded"); })) << p.err();
  EXPECT_TRUE(contains(p.err(),
                       "level=warn msg=\"config reload drops more than half of the "
                       "watched ports (port/protocol pairs); write the config to a "
                       "temporary file and rename it into place\" before=4 after=1"))
      << p.err();
}

// Issue 9: a readable directory that is not procfs gave every owner "unknown", silently.
TEST(BinaryTest, ProcfsPathThatIsNotProcfsIsLoggedAndCountedAsAnOwnerError) {
  test::TestSocket listener = test::open_listener(Protocol::kTcp, "127.0.0.1");
  TempFile config(config_watching(listener.local_port()));
  ChildProcess p({kBinary, "--once", "--config.file=" + config.path(), "--path.procfs=/tmp"});
  ASSERT_EQ(p.wait(), 0) << p.err();
  EXPECT_TRUE(contains(p.err(),
                       "level=error msg=\"--path.procfs is not procfs\" err=\"/tmp is "
                       "not a procfs mount (filesystem type 0x"))
      << p.err();
  EXPECT_TRUE(contains(p.out(), "port_exporter_collect_errors_total{source=\"owner\"} 1"))
      << p.out();
  EXPECT_TRUE(contains(p.out(), "port_listeners{port=\"" + std::to_string(listener.local_port()) +
                                    "\",protocol=\"tcp\",family=\"ipv4\"} 1"))
      << p.out();
}

}  // namespace
}  // namespace port_exporter
