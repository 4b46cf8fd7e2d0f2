// SPDX-License-Identifier: Apache-2.0
// The network edge on the real binary, with real sockets on loopback (issue 13): idle,
// slow-header and reconnecting clients do not starve /-/healthy or /metrics; out of file
// descriptors the server neither spins nor stops the collection and counts what it refused;
// only GET and HEAD are answered, a malformed request gets exactly one 400; SIGTERM exits 0
// within a second through the normal path. The 100 ms p99 is measured by `make bench`
// (bench/slowloris.cpp); here the bounds are ones a loaded machine cannot miss but the
// old server (16 workers, 3 s header timeout: >= 2.5 s per probe, most timed out) did.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "http_client.h"
#include "process.h"
#include "slow_clients.h"
#include "socket_helpers.h"
#include "web_helpers.h"

namespace port_exporter {
namespace {

using test::ChildProcess;
using test::eventually;
using test::free_web_port;
using test::SlowClients;

constexpr const char* kBinary = PORT_EXPORTER_BINARY;

bool comes_up(int port) {
  return eventually(
      [&] { return test::timed_get(port, "/-/ready", std::chrono::seconds(1)).status == 200; });
}

// user + system CPU ticks of a process (/proc/<pid>/stat fields 14 and 15).
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

pid_t child_of(pid_t parent) {
  std::ifstream in("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                   "/children");
  pid_t child = -1;
  in >> child;
  return child;
}

// A metric's value in an exposition text, -1 when absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// Sends `request` on a new connection and reads until the server closes it (5 s at most).
std::string raw_exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in to = test::loopback("127.0.0.1", port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return "<connect failed>";
  }
  timeval limit{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buffer[16384];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, n);
  ::close(fd);
  return raw;
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class NetworkEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(comes_up(port_)) << exporter_.err(); }

  // 20 probes of each endpoint: every one a 200 within a second.
  void expect_answers_within_a_second(const char* attack) {
    for (const char* path : {"/-/healthy", "/metrics"}) {
      const test::LatencySummary s =
          test::probe(port_, path, 20, std::chrono::milliseconds(20), std::chrono::seconds(5));
      EXPECT_EQ(s.failed, 0) << path << " under " << attack;
      EXPECT_LT(s.max, 1000.0) << path << " under " << attack << ": p50 " << s.p50 << " ms";
    }
  }

  const int port_ = free_web_port();
  ChildProcess exporter_{{kBinary, "--web.listen-address=127.0.0.1:" + std::to_string(port_)}};
};

TEST_F(NetworkEdgeTest, TwoHundredIdleReconnectingConnectionsDoNotStarveProbes) {
  SlowClients attack(port_, 200, SlowClients::Mode::kIdle, true);
  ASSERT_TRUE(eventually([&] { return attack.open_now() == 200; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  expect_answers_within_a_second("200 idle connections");
  EXPECT_GT(attack.closed_by_server(), 0) << "beyond its share a client is refused";
  const auto metrics = test::http_get(port_, "/metrics");
  EXPECT_GT(sample(metrics.body,
                   "port_exporter_http_connections_refused_total{reason=\"per_client_limit\"}"),
            0)
      << metrics.body;
}

TEST_F(NetworkEdgeTest, TwoHundredSlowHeaderConnectionsDoNotStarveProbes) {
  SlowClients attack(port_, 200, SlowClients::Mode::kSlowHeader, true);
  ASSERT_TRUE(eventually([&] { return attack.open_now() == 200; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a byte or two sent each
  expect_answers_within_a_second("200 slow-header connections");
}

TEST_F(NetworkEdgeTest, AThousandIdleConnectionsDoNotStarveProbes) {
  SlowClients attack(port_, 1000, SlowClients::Mode::kIdle, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  expect_answers_within_a_second("1000 idle connections");
}

TEST(NetworkEdgeFdLimitTest, OutOfDescriptorsTheServerDoesNotSpinAndKeepsCollecting) {
  char config_path[] = "/tmp/port_exporter_edge_XXXXXX";
  const int config_fd = mkstemp(config_path);
  ASSERT_GE(config_fd, 0);
  const std::string config = "interval: 1s\nports:\n  - port: 2908\n";
  ASSERT_EQ(write(config_fd, config.data(), config.size()), static_cast<ssize_t>(config.size()));
  close(config_fd);
  const int port = free_web_port();
  ChildProcess exporter({"/usr/bin/prlimit", "--nofile=16", kBinary,
                         std::string("--config.file=") + config_path,
                         "--web.listen-address=127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(comes_up(port)) << exporter.err();
  const pid_t server = child_of(exporter.pid());
  ASSERT_GT(server, 0);
  const double collections_before =
      sample(test::http_get(port, "/metrics").body, "port_exporter_collections_total");
  {
    // 30 clients (one connection each, so no per-client limit applies) that send nothing.
    SlowClients idle(port, 30, SlowClients::Mode::kIdle, false, 30);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const long before = cpu_ticks(exporter.pid()) + cpu_ticks(server);
    std::this_thread::sleep_for(std::chrono::seconds(10));
    const long used = cpu_ticks(exporter.pid()) + cpu_ticks(server) - before;
    // < 5% of a core over 10 s, both processes; the unpatched server burnt 30-93%.
    EXPECT_LT(used, sysconf(_SC_CLK_TCK) * 10 / 20) << "ticks in 10 s";
  }
  std::string body;
  ASSERT_TRUE(eventually([&] {
    const test::Timed t = test::timed_get(port, "/metrics", std::chrono::seconds(2));
    if (t.status == 200) body = test::http_get(port, "/metrics").body;
    return !body.empty();
  })) << exporter.err();
  EXPECT_GE(sample(body, "port_exporter_collections_total"), collections_before + 8) << body;
  EXPECT_GT(sample(body, "port_exporter_http_connections_refused_total{reason=\"fd_limit\"}"), 0)
      << body;
  EXPECT_EQ(sample(body, "process_max_fds"), 16) << body;
  exporter.signal(SIGTERM);
  EXPECT_EQ(exporter.wait(std::chrono::seconds(2)), 0) << exporter.err();
  std::remove(config_path);
}

TEST_F(NetworkEdgeTest, OnlyGetAndHeadAreAnsweredOnEveryEndpoint) {
  const std::string host = " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const std::string& request :
       {"POST /" + host + "Content-Length: 0\r\n\r\n", "PROPFIND /-/healthy" + host + "\r\n",
        "DELETE /-/ready" + host + "\r\n", "PUT /metrics" + host + "Content-Length: 3\r\n\r\nabc",
        "POST /metrics" + host + "Content-Length: 0\r\n\r\n", "OPTIONS /nowhere" + host + "\r\n"}) {
    const std::string reply = raw_exchange(port_, request);
    EXPECT_EQ(reply.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << request << reply;
    EXPECT_NE(reply.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos) << reply;
    EXPECT_EQ(count_of(reply, "HTTP/1."), 1) << reply;
  }
  const std::string head = raw_exchange(port_, "HEAD /metrics" + host + "\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "") << "HEAD has no body";
  // The telemetry path counted: two 405s, one HEAD and this GET's predecessors are not 200s.
  const std::string body = test::http_get(port_, "/metrics").body;
  EXPECT_EQ(sample(body, "promhttp_metric_handler_requests_total{code=\"405\"}"), 2) << body;
  EXPECT_EQ(sample(body, "promhttp_metric_handler_requests_total{code=\"200\"}"), 1) << body;
  EXPECT_EQ(sample(body, "promhttp_metric_handler_requests_total{code=\"503\"}"), 0) << body;
}

TEST_F(NetworkEdgeTest, AnInvalidContentLengthGetsExactlyOne400) {
  for (const std::string length : {"abc", "-5", "5abc", "99999999999999999999", "+1"}) {
    const std::string reply = raw_exchange(
        port_, "GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << length << ": " << reply;
    EXPECT_EQ(count_of(reply, "HTTP/1."), 1) << length << ": " << reply;
  }
  // A valid one (with the optional trailing blank) is served, once.
  const std::string ok = raw_exchange(
      port_,
      "GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: 0 \r\nConnection: close\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_EQ(count_of(ok, "HTTP/1."), 1) << ok;
}

TEST_F(NetworkEdgeTest, SigtermExitsZeroWithinASecondThroughTheNormalPath) {
  // Held connections (idle, half a header) must not hold the stop up.
  SlowClients idle(port_, 20, SlowClients::Mode::kIdle, false);
  SlowClients slow(port_, 20, SlowClients::Mode::kSlowHeader, false, 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto start = std::chrono::steady_clock::now();
  exporter_.signal(SIGTERM);
  EXPECT_EQ(exporter_.wait(std::chrono::seconds(1)), 0) << exporter_.err();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  const std::string log = exporter_.err();
  EXPECT_NE(log.find("msg=\"the serving process stopped\" status=0"), std::string::npos) << log;
  EXPECT_NE(log.find("msg=stopped status=0"), std::string::npos) << log;
  EXPECT_EQ(log.find("did not stop"), std::string::npos) << log;
  EXPECT_EQ(test::run_ss("-t -l", "sport = :" + std::to_string(port_)).size(), 0u);
}

}  // namespace
}  // namespace port_exporter
