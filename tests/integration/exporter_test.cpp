// SPDX-License-Identifier: Apache-2.0
// The whole collection path (kernel source -> owners -> snapshot -> metrics -> HTTP) on
// real loopback sockets, every count compared with `ss` run in the same test.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/collect.h"
#include "app/collector_loop.h"
#include "base/utf8.h"
#include "core/snapshot.h"
#include "exposition/metrics.h"
#include "exposition/web.h"
#include "http_client.h"
#include "judged.h"
#include "kernel/netlink_source.h"
#include "process.h"
#include "socket_helpers.h"
#include "ss_counts.h"

namespace port_exporter {
namespace {

using test::connect_tcp;
using test::open_connection;
using test::open_listener;
using test::own_comm;
using test::SocketOptions;
using test::TestSocket;

Config watching(const std::vector<std::uint16_t>& ports, Expect expect = Expect::kAbsent) {
  Config config;
  config.interval = std::chrono::seconds(1);
  for (std::uint16_t port : ports) {
    PortPolicy p;
    p.port = port;
    p.expect = expect;
    config.ports.push_back(p);
  }
  return config;
}

// One collection through the pipeline the exporter runs, with a fresh netlink source.
test::JudgedSnapshot collect_with_netlink(const Config& config, OwnerResolver& owners) {
  auto source = NetlinkSource::open();
  if (!source) throw std::runtime_error(source.error());
  auto collected = collect(config, **source, owners);
  if (!collected) throw std::runtime_error(collected.error().message);
  if (!collected->degraded.empty()) throw std::runtime_error(collected->degraded[0].message);
  return {std::move(collected.value().snapshot), std::move(collected.value().verdicts)};
}

// A mix of every kind of socket the issue names, on free ports chosen by the kernel.
struct SocketZoo {
  TestSocket tcp4_any = open_listener(Protocol::kTcp, "0.0.0.0");
  TestSocket tcp6_any_v6only =
      open_listener(Protocol::kTcp, "::", tcp4_any.local_port(), SocketOptions{true, false});
  TestSocket dual_stack = open_listener(Protocol::kTcp, "::");
  TestSocket reuse_a = open_listener(Protocol::kTcp, "127.0.0.1", 0, SocketOptions{false, true});
  TestSocket reuse_b =
      open_listener(Protocol::kTcp, "127.0.0.1", reuse_a.local_port(), SocketOptions{false, true});
  test::TcpConnection v4_conn = connect_tcp(tcp4_any, "127.0.0.1");
  test::TcpConnection v6_conn = connect_tcp(tcp6_any_v6only, "::1");
  test::TcpConnection dual_conn_v4 = connect_tcp(dual_stack, "127.0.0.1");
  TestSocket udp_bound = open_listener(Protocol::kUdp, "127.0.0.1");
  TestSocket udp6_bound = open_listener(Protocol::kUdp, "::1");
  TestSocket udp_connected = open_connection(Protocol::kUdp, "127.0.0.1", udp_bound.local_port());

  std::vector<std::uint16_t> ports() const {
    return {tcp4_any.local_port(), dual_stack.local_port(), reuse_a.local_port(),
            udp_bound.local_port(), udp6_bound.local_port()};
  }
};

TEST(ExporterIntegrationTest, EveryCountEqualsSsOnAMixOfRealSockets) {
  SocketZoo zoo;
  const Config config = watching(zoo.ports());
  OwnerResolver owners("/proc");
  const Snapshot snapshot = collect_with_netlink(config, owners);
  const test::SsCounts from_ss = test::count_with_ss(zoo.ports());
  const test::SsCounts exported = test::counts_of(snapshot);
  EXPECT_EQ(exported.listeners, from_ss.listeners) << "exported:\n"
                                                   << test::describe(exported) << "ss:\n"
                                                   << test::describe(from_ss);
  EXPECT_EQ(exported.connections, from_ss.connections) << "exported:\n"
                                                       << test::describe(exported) << "ss:\n"
                                                       << test::describe(from_ss);
  // Sanity: the zoo is really there, so equality is not two empty maps.
  EXPECT_EQ(from_ss.listeners.size(), 6u) << test::describe(from_ss);
  EXPECT_GE(from_ss.connections.size(), 5u) << test::describe(from_ss);
}

// Thousands of sockets on a watched port: the kernel's reply spans many datagrams.
TEST(ExporterIntegrationTest, CountsEqualSsWithThousandsOfConnectionsOnAWatchedPort) {
  TestSocket listener = open_listener(Protocol::kTcp, "127.0.0.1");
  std::vector<test::TcpConnection> connections;
  for (int i = 0; i < 1500; ++i) connections.push_back(connect_tcp(listener, "127.0.0.1"));
  const std::vector<std::uint16_t> ports = {listener.local_port()};
  OwnerResolver owners("/proc");
  const test::SsCounts exported = test::counts_of(collect_with_netlink(watching(ports), owners));
  const test::SsCounts from_ss = test::count_with_ss(ports);
  EXPECT_EQ(exported.listeners, from_ss.listeners);
  EXPECT_EQ(exported.connections, from_ss.connections) << "exported:\n"
                                                       << test::describe(exported) << "ss:\n"
                                                       << test::describe(from_ss);
  EXPECT_EQ(exported.connections.at(
                {ports[0], Protocol::kTcp, Family::kIpv4, Direction::kInbound, "established"}),
            1500u);
}

TEST(ExporterIntegrationTest, DualStackListenerCountsOnceAsIpv6) {
  SocketZoo zoo;
  const std::uint16_t port = zoo.dual_stack.local_port();
  OwnerResolver owners("/proc");
  const Snapshot snapshot = collect_with_netlink(watching({port}), owners);
  const test::SsCounts counts = test::counts_of(snapshot);
  EXPECT_EQ(counts.listeners.count({port, Protocol::kTcp, Family::kIpv4}), 0u);
  EXPECT_EQ(counts.listeners.at({port, Protocol::kTcp, Family::kIpv6}), 1u);
  // Its IPv4 client shows up as an IPv6 (v4-mapped) inbound socket, as in ss.
  EXPECT_EQ(counts.connections.at(
                {port, Protocol::kTcp, Family::kIpv6, Direction::kInbound, "established"}),
            1u);
  EXPECT_EQ(counts.connections.at(
                {port, Protocol::kTcp, Family::kIpv4, Direction::kOutbound, "established"}),
            1u);
}

TEST(ExporterIntegrationTest, ListenerOwnerIsThisProcess) {
  SocketZoo zoo;
  OwnerResolver owners("/proc");
  const Snapshot snapshot = collect_with_netlink(watching(zoo.ports()), owners);
  ASSERT_FALSE(snapshot.listener_info.empty());
  for (const ListenerInfo& info : snapshot.listener_info) {
    EXPECT_EQ(info.pid, getpid()) << info.port << " " << info.address;
    EXPECT_EQ(info.process, own_comm());
    EXPECT_EQ(info.uid, getuid());
  }
  // 0.0.0.0, :: (v6only), :: (dual), 127.0.0.1 (reuseport pair: one identity), udp x2.
  EXPECT_EQ(snapshot.listener_info.size(), 6u);
}

TEST(ExporterIntegrationTest, ExpectPresentFlagsOnlyListenersOfProcessesNotAllowed) {
  TestSocket listener = open_listener(Protocol::kTcp, "127.0.0.1");
  TestSocket unused = open_listener(Protocol::kTcp, "127.0.0.1");
  const std::uint16_t port = listener.local_port();
  const std::uint16_t empty_port = unused.local_port();
  unused.close();
  Config config = watching({port, empty_port}, Expect::kPresent);
  OwnerResolver owners("/proc");

  config.ports[0].allowed_processes = {own_comm()};
  test::JudgedSnapshot allowed = collect_with_netlink(config, owners);
  EXPECT_EQ(allowed.verdicts[0].unexpected, 0u);  // port/tcp: our own process is allowed
  EXPECT_EQ(allowed.verdicts[0].missing, 0u);
  EXPECT_EQ(allowed.verdicts[2].missing, 1u);  // empty_port/tcp: nothing listens

  config.ports[0].allowed_processes = {"sshd"};
  test::JudgedSnapshot disallowed = collect_with_netlink(config, owners);
  EXPECT_EQ(disallowed.verdicts[0].unexpected, 1u);  // present, but not from sshd
  EXPECT_EQ(disallowed.verdicts[0].missing, 0u);
}

// A child process that renames itself to invalid UTF-8 (any process may, with
// prctl(PR_SET_NAME)) and listens: one such label value would fail the whole scrape.
TEST(ExporterIntegrationTest, AProcessNameThatIsNotUtf8StillGivesAValidExposition) {
  TestSocket listener = open_listener(Protocol::kTcp, "127.0.0.1");
  const std::uint16_t port = listener.local_port();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    prctl(PR_SET_NAME, "ev\xff\"il", 0, 0, 0);
    ::close(ready[0]);
    (void)!::write(ready[1], "x", 1);
    pause();
    _exit(0);
  }
  ::close(ready[1]);
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  listener.close();  // the child alone holds it now

  OwnerResolver owners("/proc");
  const Snapshot snapshot = collect_with_netlink(watching({port}), owners);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_EQ(snapshot.listener_info.size(), 1u);
  EXPECT_EQ(snapshot.listener_info[0].pid, child);
  EXPECT_EQ(snapshot.listener_info[0].process, "ev\xEF\xBF\xBD\"il");
  ExporterState state;
  state.snapshot = snapshot;
  EXPECT_TRUE(is_valid_utf8(serialize(render_metrics(state))));
}

TEST(ExporterIntegrationTest, CountsFollowAClosedListenerAtTheNextCollection) {
  TestSocket listener = open_listener(Protocol::kTcp, "127.0.0.1");
  const std::uint16_t port = listener.local_port();
  auto source = NetlinkSource::open();
  ASSERT_TRUE(source.ok()) << source.error();
  Exposition exposition;
  CollectorLoop loop(
      watching({port}), [] { return Result<Config>(Error{"unused"}); }, std::move(source).value(),
      OwnerResolver("/proc"), exposition);
  ASSERT_TRUE(loop.collect_once());
  EXPECT_EQ(loop.state().snapshot.listeners[0].count, 1u);
  EXPECT_EQ(loop.state().verdicts[0].unexpected, 1u);
  listener.close();
  ASSERT_TRUE(loop.collect_once());
  EXPECT_EQ(loop.state().snapshot.listeners[0].count, 0u);
  EXPECT_EQ(loop.state().verdicts[0].unexpected, 0u);
  EXPECT_EQ(loop.state().stats.collections, 2u);
  EXPECT_EQ(*exposition.text(), serialize(render_metrics(loop.state())));
}

TEST(ExporterIntegrationTest, HttpServerAnswersMetricsHealthAndReadiness) {
  TestSocket listener = open_listener(Protocol::kTcp, "127.0.0.1");
  const std::uint16_t port = listener.local_port();
  auto source = NetlinkSource::open();
  ASSERT_TRUE(source.ok()) << source.error();
  Exposition exposition;
  CollectorLoop loop(
      watching({port}), [] { return Result<Config>(Error{"unused"}); }, std::move(source).value(),
      OwnerResolver("/proc"), exposition);
  WebServer::Settings settings;
  settings.listen_addresses = {"127.0.0.1:0"};
  settings.ready = [&loop] { return loop.ready(); };
  settings.metrics = [&exposition](bool) { return *exposition.text(); };
  auto web = WebServer::start(settings);
  ASSERT_TRUE(web.ok()) << web.error();
  const int http_port = (*web)->ports().at(0);

  EXPECT_EQ(test::http_get(http_port, "/-/healthy").status, 200);
  EXPECT_EQ(test::http_get(http_port, "/-/ready").status, 503);
  ASSERT_TRUE(loop.collect_once());
  EXPECT_EQ(test::http_get(http_port, "/-/ready").status, 200);

  const auto metrics = test::http_get(http_port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  const std::string p = std::to_string(port);
  EXPECT_NE(
      metrics.body.find("port_listeners{port=\"" + p + "\",protocol=\"tcp\",family=\"ipv4\"} 1"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("port_unexpected_listeners{port=\"" + p + "\",protocol=\"tcp\"} 1"),
            std::string::npos);
  const auto landing = test::http_get(http_port, "/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_NE(landing.body.find("href=\"/metrics\""), std::string::npos);
  EXPECT_EQ(test::http_get(http_port, "/nope").status, 404);
}

}  // namespace
}  // namespace port_exporter
