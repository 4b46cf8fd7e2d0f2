// SPDX-License-Identifier: Apache-2.0
// Privilege separation on the real binary: the process listening on the metrics port is
// not the one that collects, holds no capability, runs as nobody under no_new_privs and
// seccomp; the death of either process ends the other, a deliberate stop exits 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>
#include <string>

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

// A field of /proc/<pid>/status ("Uid", "CapEff", ...), its value without leading blanks.
std::string status_field(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) != 0) continue;
    const std::size_t value = line.find_first_not_of(" \t", field.size() + 1);
    return value == std::string::npos ? "" : line.substr(value);
  }
  return "";
}

// The pid `ss -tlnp` names for the listener on 127.0.0.1:port.
pid_t listening_pid(int port) {
  const auto lines = test::run_ss("-t -l -p", "sport = :" + std::to_string(port));
  std::smatch match;
  for (const std::string& line : lines) {
    if (std::regex_search(line, match, std::regex("pid=([0-9]+)"))) return std::stoi(match[1]);
  }
  return -1;
}

// Exited: no such process, or a zombie its new parent has not reaped yet.
bool gone(pid_t pid) {
  const std::string state = status_field(pid, "State");
  return state.empty() || state[0] == 'Z';
}

class ServingProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the uid switch is only made when started as root";
    ASSERT_TRUE(comes_up(http_port_)) << exporter_.err();
    server_ = listening_pid(http_port_);
    ASSERT_GT(server_, 0);
  }

  const int http_port_ = free_web_port();
  ChildProcess exporter_{{kBinary, "--web.listen-address=127.0.0.1:" + std::to_string(http_port_)}};
  pid_t server_ = -1;
};

TEST_F(ServingProcessTest, TheListenerOnTheMetricsPortIsAnUnprivilegedChild) {
  EXPECT_NE(server_, exporter_.pid());
  EXPECT_EQ(status_field(server_, "PPid"), std::to_string(exporter_.pid()));
  EXPECT_EQ(status_field(server_, "Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(status_field(server_, "Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(status_field(server_, "Groups"), "");
  EXPECT_EQ(status_field(server_, "CapEff"), "0000000000000000");
  EXPECT_EQ(status_field(server_, "CapPrm"), "0000000000000000");
  EXPECT_EQ(status_field(server_, "CapBnd"), "0000000000000000");
  EXPECT_EQ(status_field(server_, "NoNewPrivs"), "1");
  EXPECT_EQ(status_field(server_, "Seccomp"), "2");
  // The collector keeps its capabilities but CAP_SETUID (bit 7) and CAP_SETGID (bit 6).
  const unsigned long long collector =
      std::stoull(status_field(exporter_.pid(), "CapEff"), nullptr, 16);
  EXPECT_EQ(collector & 0xc0, 0u);
  EXPECT_NE(collector, 0u);
  // And it serves what the collector collected.
  const auto metrics = http_get(http_port_, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("port_exporter_collections_total 1"), std::string::npos)
      << metrics.body;
}

TEST_F(ServingProcessTest, ACrashedServerEndsTheExporterWithAnError) {
  kill(server_, SIGKILL);
  const int status = exporter_.wait(std::chrono::seconds(2));
  EXPECT_NE(status, 0);
  EXPECT_NE(status, -1) << "still running 2 s after its server died";
  EXPECT_NE(exporter_.err().find("the serving process died"), std::string::npos) << exporter_.err();
}

TEST_F(ServingProcessTest, ACrashedCollectorEndsTheServer) {
  exporter_.signal(SIGKILL);
  exporter_.wait(std::chrono::seconds(1));
  EXPECT_TRUE(eventually([&] { return gone(server_); })) << "the server outlived its collector";
}

TEST_F(ServingProcessTest, SigtermToBothProcessesAsSystemdSendsItExitsZero) {
  kill(server_, SIGTERM);
  exporter_.signal(SIGTERM);
  EXPECT_EQ(exporter_.wait(std::chrono::seconds(1)), 0) << exporter_.err();
  EXPECT_TRUE(eventually([&] { return gone(server_); }));
}

}  // namespace
}  // namespace port_exporter
