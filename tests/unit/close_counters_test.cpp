// SPDX-License-Identifier: Apache-2.0
// Close counters: classification of closed sockets against the watched ports, and the
// report with every configured combination at zero.
#include "core/close_counters.h"

#include <gtest/gtest.h>

#include "records.h"

namespace port_exporter {
namespace {

SocketRecord closed(Protocol p, Family f, const std::string& local, std::uint16_t lport,
                    const std::string& remote, std::uint16_t rport) {
  SocketRecord r;
  r.protocol = p;
  r.family = f;
  r.state = TcpState::kClose;
  r.local = test::endpoint(f, local, lport);
  r.remote = test::endpoint(f, remote, rport);
  return r;
}

const WatchSet kWatch{{2908}, {2908, 5353}};

TEST(CloseCountersTest, ListenerWithoutRemotePortCountsAsListenerClosed) {
  CloseCounters c;
  count_close(kWatch, closed(Protocol::kTcp, Family::kIpv6, "::", 2908, "::", 0), 100.5, "host", c);
  EXPECT_EQ((c.listeners[{2908, Protocol::kTcp, Family::kIpv6}]), 1U);
  EXPECT_TRUE(c.connections.empty());
  EXPECT_EQ((c.last_listener[{2908, Protocol::kTcp}]),
            (ClosedListener{100.5, Family::kIpv6, "::", "host"}));
}

TEST(CloseCountersTest, ConnectionsCountByDirectionAndLoopbackPairCountsBoth) {
  CloseCounters c;
  // The client end (remote port watched) and the accepted end (local port watched).
  count_close(kWatch, closed(Protocol::kTcp, Family::kIpv4, "127.0.0.1", 40000, "127.0.0.1", 2908),
              1, "host", c);
  count_close(kWatch, closed(Protocol::kTcp, Family::kIpv4, "127.0.0.1", 2908, "127.0.0.1", 40000),
              1, "host", c);
  EXPECT_EQ((c.connections[{2908, Protocol::kTcp, Family::kIpv4, Direction::kOutbound}]), 1U);
  EXPECT_EQ((c.connections[{2908, Protocol::kTcp, Family::kIpv4, Direction::kInbound}]), 1U);
  EXPECT_TRUE(c.listeners.empty());
  EXPECT_TRUE(c.last_listener.empty());
}

TEST(CloseCountersTest, UnwatchedPortsAndTheOtherProtocolCountNothing) {
  CloseCounters c;
  count_close(kWatch, closed(Protocol::kTcp, Family::kIpv4, "0.0.0.0", 2909, "0.0.0.0", 0), 1,
              "host", c);
  count_close(kWatch, closed(Protocol::kTcp, Family::kIpv4, "0.0.0.0", 5353, "0.0.0.0", 0), 1,
              "host", c);
  count_close(kWatch, closed(Protocol::kUdp, Family::kIpv4, "10.0.0.1", 1000, "10.0.0.2", 2909), 1,
              "host", c);
  EXPECT_TRUE(c.listeners.empty());
  EXPECT_TRUE(c.connections.empty());
}

TEST(CloseCountersTest, UnconnectedUdpIsAListenerConnectedUdpAConnection) {
  CloseCounters c;
  count_close(kWatch, closed(Protocol::kUdp, Family::kIpv4, "0.0.0.0", 5353, "0.0.0.0", 0), 7,
              "netns:4026532000", c);
  count_close(kWatch, closed(Protocol::kUdp, Family::kIpv4, "10.0.0.1", 5353, "10.0.0.2", 999), 8,
              "host", c);
  EXPECT_EQ((c.listeners[{5353, Protocol::kUdp, Family::kIpv4}]), 1U);
  EXPECT_EQ((c.connections[{5353, Protocol::kUdp, Family::kIpv4, Direction::kInbound}]), 1U);
  EXPECT_EQ((c.last_listener[{5353, Protocol::kUdp}].netns), "netns:4026532000");
}

TEST(CloseCountersTest, ReportHasEveryConfiguredCombinationAtZeroInConfigOrder) {
  Config config;
  PortPolicy mao;
  mao.port = 2908;
  mao.protocols = {Protocol::kTcp};
  PortPolicy dns;
  dns.port = 53;
  dns.protocols = {Protocol::kUdp};
  dns.expect = Expect::kAny;
  config.ports = {mao, dns};
  CloseCounters c;
  count_close(kWatch, closed(Protocol::kTcp, Family::kIpv4, "0.0.0.0", 2908, "0.0.0.0", 0), 42,
              "host", c);
  c.events_lost = 3;
  const CloseReport r = build_close_report(config, c, {{"host", 1}});
  ASSERT_EQ(r.listeners.size(), 4U);
  EXPECT_EQ(r.listeners[0].port, 2908);
  EXPECT_EQ(r.listeners[0].family, Family::kIpv4);
  EXPECT_EQ(r.listeners[0].count, 1U);
  EXPECT_EQ(r.listeners[1].count, 0U);
  EXPECT_EQ(r.listeners[2].port, 53);
  EXPECT_EQ(r.listeners[2].protocol, Protocol::kUdp);
  ASSERT_EQ(r.connections.size(), 8U);
  EXPECT_EQ(r.connections[1].direction, Direction::kOutbound);
  for (const ConnectionClosedCount& count : r.connections) EXPECT_EQ(count.count, 0U);
  ASSERT_EQ(r.last_listeners.size(), 1U);
  EXPECT_EQ(r.last_listeners[0].listener.unix_time, 42);
  EXPECT_EQ(r.last_listeners[0].listener.address, "0.0.0.0");
  EXPECT_EQ(r.events_lost, 3U);
  EXPECT_EQ(r.subscriptions, (SubscriptionCounts{{"host", 1}}));
}

}  // namespace
}  // namespace port_exporter
