// SPDX-License-Identifier: Apache-2.0
// The built port_exporter binary as a user runs it: flags, exit codes, --once, the HTTP
// endpoints, SIGHUP reload and SIGTERM shutdown.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "http_client.h"
#include "process.h"
#include "socket_helpers.h"
#include "web_helpers.h"

namespace port_exporter {
namespace {

using test::ChildProcess;
using test::comes_up;
using test::eventually;
using test::free_web_port;
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

// A copy of python3 named sshd, listening on a port that allows sshd: a name passes
// allowed_processes, but its /proc/<pid>/exe is the copy, not /usr/sbin/sshd.
class SpoofedSshd {
 public:
  SpoofedSshd() {
    char dir[] = "/tmp/port_exporter_spoof_XXXXXX";
    if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = dir;
    exe_ = dir_ + "/sshd";
    std::ifstream in("/usr/bin/python3", std::ios::binary);
    std::ofstream(exe_, std::ios::binary) << in.rdbuf();
    ::chmod(exe_.c_str(), 0755);
    ready_ = dir_ + "/port";
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{exe_, "-c",
                                 "import socket, os, time\n"
                                 "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
                                 "open('" +
                                     ready_ +
                                     ".tmp', 'w').write(str(s.getsockname()[1]))\n"
                                     "os.rename('" +
                                     ready_ + ".tmp', '" + ready_ +
                                     "')\n"
                                     "time.sleep(60)\n"});
    if (!eventually([&] { return !test::slurp(ready_).empty(); })) {
      throw std::runtime_error("the spoofed sshd did not listen: " + child_->err());
    }
    port_ = std::stoi(test::slurp(ready_));
  }
  ~SpoofedSshd() {
    child_.reset();  // SIGKILL and reap
    std::remove(ready_.c_str());
    std::remove(exe_.c_str());
    ::rmdir(dir_.c_str());
  }
  SpoofedSshd(const SpoofedSshd&) = delete;
  SpoofedSshd& operator=(const SpoofedSshd&) = delete;

  int port() const { return port_; }
  const std::string& exe() const { return exe_; }

 private:
  std::string dir_, exe_, ready_;
  std::unique_ptr<ChildProcess> child_;
  int port_ = 0;
};

std::string once(const std::string& config_text) {
  TempFile config(config_text);
  ChildProcess p({kBinary, "--once", "--config.file=" + config.path()});
  if (p.wait() != 0) throw std::runtime_error("--once failed: " + p.err());
  return p.out();
}

TEST(BinaryTest, ACopyNamedSshdIsUnexpectedUnderAllowedExecutables) {
  SpoofedSshd spoof;
  const std::string port = std::to_string(spoof.port());
  const std::string entry =
      "interval: 1s\nports:\n  - port: " + port + "\n    protocols: [tcp]\n    expect: present\n";
  const std::string unexpected =
      "port_unexpected_listeners{port=\"" + port + "\",protocol=\"tcp\"} ";

  // By name alone, the copy passes.
  const std::string by_name = once(entry + "    allowed_processes: [sshd]\n");
  EXPECT_TRUE(contains(by_name, unexpected + "0")) << by_name;
  EXPECT_TRUE(contains(by_name, "process=\"sshd\",exe=\"" + spoof.exe() + "\",netns=\"host\""))
      << by_name;

  // By executable, it does not, with or without the name list.
  const std::string by_exe =
      once(entry + "    allowed_processes: [sshd]\n    allowed_executables: [/usr/sbin/sshd]\n");
  EXPECT_TRUE(contains(by_exe, unexpected + "1")) << by_exe;
  EXPECT_TRUE(
      contains(once(entry + "    allowed_executables: [/usr/sbin/sshd]\n"), unexpected + "1"));

  // Its own path and uid are allowed: the lists match the real owner.
  const std::string own = once(entry + "    allowed_executables: [" + spoof.exe() +
                               "]\n    allowed_uids: [" + std::to_string(::getuid()) + "]\n");
  EXPECT_TRUE(contains(own, unexpected + "0")) << own;
  EXPECT_TRUE(contains(
      own, "port_exporter_unattributed_listeners{port=\"" + port + "\",protocol=\"tcp\"} 0"))
      << own;
  const std::string other_uid =
      once(entry + "    allowed_uids: [" + std::to_string(::getuid() + 1) + "]\n");
  EXPECT_TRUE(contains(other_uid, unexpected + "1")) << other_uid;
}

// Run as nobody without capabilities, the exporter cannot read root's /proc/<pid>/fd: it
// says so at start, and counts the listener it could not attribute.
TEST(BinaryTest, ABlindOwnerLookupIsLoggedAndCounted) {
  test::TestSocket listener = test::open_listener(Protocol::kTcp, "127.0.0.1");
  const std::string port = std::to_string(listener.local_port());
  TempFile config(config_watching(listener.local_port()));
  ::chmod(config.path().c_str(), 0644);
  ChildProcess p({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                  "--inh-caps=-all", "--", kBinary, "--once", "--config.file=" + config.path()});
  ASSERT_EQ(p.wait(), 0) << p.err();
  EXPECT_TRUE(contains(p.err(), "missing_capabilities=CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE"))
      << p.err();
  const std::string out = p.out();
  EXPECT_TRUE(contains(
      out, "port_exporter_unattributed_listeners{port=\"" + port + "\",protocol=\"tcp\"} 1"))
      << out;
  EXPECT_TRUE(contains(out, "uid=\"0\",pid=\"unknown\",process=\"unknown\",exe=\"\"")) << out;

  // With the capabilities (root here), nothing is logged about them.
  ChildProcess root({kBinary, "--once", "--config.file=" + config.path()});
  ASSERT_EQ(root.wait(), 0) << root.err();
  EXPECT_FALSE(contains(root.err(), "missing_capabilities")) << root.err();
  EXPECT_TRUE(contains(root.out(), "port_exporter_unattributed_listeners{port=\"" + port +
                                       "\",protocol=\"tcp\"} 0"));
}

// A TCP listener on a port below the ephemeral range (32768..60999), so that no client
// socket of another test can hold it as its local port (its TIME_WAIT would count inbound);
// bind() without SO_REUSEADDR refuses a port any socket still holds, TIME_WAIT included.
test::TestSocket listener_below_ephemeral_range() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(20000 + (::getpid() + attempt * 7919) % 12768);
    test::TestSocket s = test::try_open_listener(Protocol::kTcp, "127.0.0.1", port);
    if (s.fd() >= 0) return s;
  }
  throw std::runtime_error("no free port in 20000..32767");
}

// connection_states: only the kept states are printed (zeros included), and a real
// established connection is counted in both directions.
TEST(BinaryTest, OncePrintsOnlyTheConfiguredConnectionStates) {
  test::TestSocket listener = listener_below_ephemeral_range();
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

// The README's series count, from a real --once output: 68 series per tcp+udp port with
// every state (port_listener_info aside: nothing listens), 44 with four states, 4 more
// (port_closed_attempts_total) while the eBPF probe is loaded; 23 of the exporter itself.
struct SeriesCount {
  int per_port = 0;    // series with a port label, port_listener_info aside, per port
  int exporter = 0;    // series without a port label (port_exporter_*, process_*)
  bool probe = false;  // port_exporter_probe_loaded 1: the probe's 4 series per port are in
};

SeriesCount count_series(const std::string& states_line) {
  TempFile config(states_line + "ports:\n  - port: 2908\n  - port: 2909\n");
  ChildProcess p({kBinary, "--once", "--config.file=" + config.path()});
  EXPECT_EQ(p.wait(), 0) << p.err();
  SeriesCount count;
  int port_series = 0;
  std::istringstream out(p.out());
  for (std::string line; std::getline(out, line);) {
    if (line.empty() || line[0] == '#' || line.rfind("port_listener_info", 0) == 0) continue;
    if (line.find("port=\"") != std::string::npos) {
      ++port_series;
    } else {
      ++count.exporter;
    }
    if (line == "port_exporter_probe_loaded{probe=\"closed_attempts\"} 1") count.probe = true;
  }
  count.per_port = port_series / 2;
  return count;
}

TEST(BinaryTest, OnceSeriesCountPerPortFollowsConnectionStates) {
  const SeriesCount all = count_series("");
  EXPECT_EQ(all.per_port, 68 + (all.probe ? 4 : 0));
  EXPECT_EQ(all.exporter, 23);  // with port_exporter_namespace_connections_age_seconds
  const SeriesCount four =
      count_series("connection_states: [established, syn_recv, time_wait, close_wait]\n");
  EXPECT_EQ(four.per_port, 44 + (four.probe ? 4 : 0));
  EXPECT_EQ(four.exporter, 23);
}

TEST(BinaryTest, ServesMetricsReloadsOnSighupAndStopsOnSigterm) {
  test::TestSocket first = test::open_listener(Protocol::kTcp, "127.0.0.1");
  test::TestSocket second = test::open_listener(Protocol::kTcp, "127.0.0.1");
  TempFile config(config_watching(first.local_port()));
  const int http_port = free_web_port();
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
  const int http_port = free_web_port();
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
  const int http_port = free_web_port();
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
  const int http_port = free_web_port();
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
