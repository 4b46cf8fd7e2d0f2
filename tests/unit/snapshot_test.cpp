// SPDX-License-Identifier: Apache-2.0
#include "core/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "judged.h"
#include "records.h"

namespace port_exporter {
namespace {

using test::connection;
using test::tcp_listener;
using test::udp_bound;

Config config_for(std::uint16_t port, Expect expect = Expect::kAbsent,
                  std::vector<Protocol> protocols = {Protocol::kTcp, Protocol::kUdp}) {
  Config c;
  PortPolicy p;
  p.port = port;
  p.protocols = std::move(protocols);
  p.expect = expect;
  p.description = "test";
  c.ports.push_back(p);
  return c;
}

std::uint64_t listeners(const Snapshot& s, std::uint16_t port, Protocol protocol, Family family) {
  for (const auto& c : s.listeners) {
    if (c.port == port && c.protocol == protocol && c.family == family) return c.count;
  }
  ADD_FAILURE() << "no listener series for port " << port;
  return 0;
}

std::uint64_t connections(const Snapshot& s, std::uint16_t port, Protocol protocol, Family family,
                          Direction direction, TcpState state) {
  for (const auto& c : s.connections) {
    if (c.port == port && c.protocol == protocol && c.family == family &&
        c.direction == direction && c.state == state) {
      return c.count;
    }
  }
  ADD_FAILURE() << "no connection series for port " << port << " state " << to_string(state);
  return 0;
}

TEST(SnapshotTest, ExposesEveryConfiguredCombinationWithZeros) {
  const test::JudgedSnapshot s = test::judge(config_for(2908), {}, {});
  // tcp and udp, each ipv4 and ipv6.
  ASSERT_EQ(s.listeners.size(), 4u);
  for (const auto& c : s.listeners) EXPECT_EQ(c.count, 0u);
  // tcp: 2 families x 2 directions x 10 states; udp: 2 x 2 x established.
  EXPECT_EQ(s.connections.size(), 40u + 4u);
  ASSERT_EQ(s.verdicts.size(), 2u);
  EXPECT_EQ(s.verdicts[0].unexpected, 0u);
  EXPECT_EQ(s.verdicts[0].missing, 0u);
  EXPECT_TRUE(s.listener_info.empty());
}

// connection_states keeps only the named states: their zeros are exposed, other states
// are neither exposed nor counted; UDP keeps established only when the list has it.
TEST(SnapshotTest, ExposesAndCountsOnlyTheConfiguredConnectionStates) {
  Config config = config_for(2908);
  config.connection_states = {TcpState::kSynRecv, TcpState::kTimeWait};
  const Snapshot s = build_snapshot(
      config,
      {connection(Protocol::kTcp, Family::kIpv4, TcpState::kTimeWait, 2908, 40000),
       connection(Protocol::kTcp, Family::kIpv4, TcpState::kEstablished, 2908, 40001),
       connection(Protocol::kUdp, Family::kIpv4, TcpState::kEstablished, 2908, 40002)},
      {});
  // tcp: 2 families x 2 directions x 2 states; udp: none.
  ASSERT_EQ(s.connections.size(), 8u);
  for (const auto& c : s.connections) {
    EXPECT_EQ(c.protocol, Protocol::kTcp);
    EXPECT_TRUE(c.state == TcpState::kSynRecv || c.state == TcpState::kTimeWait);
  }
  EXPECT_EQ(
      connections(s, 2908, Protocol::kTcp, Family::kIpv4, Direction::kInbound, TcpState::kTimeWait),
      1u);
  EXPECT_EQ(
      connections(s, 2908, Protocol::kTcp, Family::kIpv4, Direction::kInbound, TcpState::kSynRecv),
      0u);
  EXPECT_EQ(s.listeners.size(), 4u);  // listeners do not depend on connection_states

  config.connection_states = {TcpState::kEstablished};
  const Snapshot with_udp = build_snapshot(
      config, {connection(Protocol::kUdp, Family::kIpv6, TcpState::kEstablished, 2908, 40003)}, {});
  ASSERT_EQ(with_udp.connections.size(), 4u + 4u);
  EXPECT_EQ(connections(with_udp, 2908, Protocol::kUdp, Family::kIpv6, Direction::kInbound,
                        TcpState::kEstablished),
            1u);
}

// connection_states with main's namespace scopes: a port with `namespaces: all` counts a
// kept state in another namespace, drops a state not kept; a host-only port ignores it.
TEST(SnapshotTest, ConnectionStatesApplyInEveryNamespaceOfAnAllPort) {
  Config config = config_for(2908, Expect::kAbsent, {Protocol::kTcp});
  PortPolicy host_only = config.ports[0];
  host_only.port = 2909;
  config.ports.push_back(host_only);
  config.ports[0].namespaces = NamespaceMode::kAll;
  config.connection_states = {TcpState::kEstablished};
  const auto in_netns = [](SocketRecord r) {
    r.netns = 4026532000;
    return r;
  };
  const Snapshot s = build_snapshot(
      config,
      {in_netns(connection(Protocol::kTcp, Family::kIpv4, TcpState::kEstablished, 2908, 40000)),
       in_netns(connection(Protocol::kTcp, Family::kIpv4, TcpState::kTimeWait, 2908, 40001)),
       in_netns(connection(Protocol::kTcp, Family::kIpv4, TcpState::kEstablished, 2909, 40002)),
       connection(Protocol::kTcp, Family::kIpv4, TcpState::kEstablished, 2909, 40003)},
      {});
  // Two tcp ports x 2 families x 2 directions x 1 state.
  ASSERT_EQ(s.connections.size(), 8u);
  EXPECT_EQ(connections(s, 2908, Protocol::kTcp, Family::kIpv4, Direction::kInbound,
                        TcpState::kEstablished),
            1u);
  EXPECT_EQ(connections(s, 2909, Protocol::kTcp, Family::kIpv4, Direction::kInbound,
                        TcpState::kEstablished),
            1u);  // the host's connection only
}

TEST(SnapshotTest, CountsListenersPerFamily) {
  const Snapshot s = build_snapshot(config_for(2908),
                                    {tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 11),
                                     tcp_listener(Family::kIpv6, "::", 2908, 12),
                                     udp_bound(Family::kIpv4, "127.0.0.1", 2908, 13)},
                                    {});
  EXPECT_EQ(listeners(s, 2908, Protocol::kTcp, Family::kIpv4), 1u);
  EXPECT_EQ(listeners(s, 2908, Protocol::kTcp, Family::kIpv6), 1u);
  EXPECT_EQ(listeners(s, 2908, Protocol::kUdp, Family::kIpv4), 1u);
  EXPECT_EQ(listeners(s, 2908, Protocol::kUdp, Family::kIpv6), 0u);
}

TEST(SnapshotTest, CountsDualStackListenerOnceAsIpv6) {
  const Snapshot s =
      build_snapshot(config_for(2908), {tcp_listener(Family::kIpv6, "::", 2908, 7)}, {});
  EXPECT_EQ(listeners(s, 2908, Protocol::kTcp, Family::kIpv4), 0u);
  EXPECT_EQ(listeners(s, 2908, Protocol::kTcp, Family::kIpv6), 1u);
}

TEST(SnapshotTest, CountsEachSocketOfAReuseportGroupButOneInfoSeries) {
  const test::JudgedSnapshot s = test::judge(config_for(2908),
                                             {tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 21),
                                              tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 22)},
                                             {{21, {{42, "nginx"}}}, {22, {{42, "nginx"}}}});
  EXPECT_EQ(listeners(s, 2908, Protocol::kTcp, Family::kIpv4), 2u);
  ASSERT_EQ(s.listener_info.size(), 1u);
  EXPECT_EQ(s.listener_info[0].pid, 42);
  EXPECT_EQ(s.verdicts[0].unexpected, 2u);
}

TEST(SnapshotTest, LoopbackConnectionIsOneInboundAndOneOutbound) {
  const Snapshot s = build_snapshot(
      config_for(2908),
      {connection(Protocol::kTcp, Family::kIpv4, TcpState::kEstablished, 2908, 40000),
       connection(Protocol::kTcp, Family::kIpv4, TcpState::kEstablished, 40000, 2908)},
      {});
  EXPECT_EQ(connections(s, 2908, Protocol::kTcp, Family::kIpv4, Direction::kInbound,
                        TcpState::kEstablished),
            1u);
  EXPECT_EQ(connections(s, 2908, Protocol::kTcp, Family::kIpv4, Direction::kOutbound,
                        TcpState::kEstablished),
            1u);
  EXPECT_EQ(listeners(s, 2908, Protocol::kTcp, Family::kIpv4), 0u);
}

TEST(SnapshotTest, CountsConnectionStatesAndMapsNewSynRecvToSynRecv) {
  const Snapshot s =
      build_snapshot(config_for(2908),
                     {connection(Protocol::kTcp, Family::kIpv6, TcpState::kTimeWait, 2908, 40001),
                      connection(Protocol::kTcp, Family::kIpv6, TcpState::kNewSynRecv, 2908, 40002),
                      connection(Protocol::kTcp, Family::kIpv6, TcpState::kCloseWait, 40003, 2908)},
                     {});
  EXPECT_EQ(
      connections(s, 2908, Protocol::kTcp, Family::kIpv6, Direction::kInbound, TcpState::kTimeWait),
      1u);
  EXPECT_EQ(
      connections(s, 2908, Protocol::kTcp, Family::kIpv6, Direction::kInbound, TcpState::kSynRecv),
      1u);
  EXPECT_EQ(connections(s, 2908, Protocol::kTcp, Family::kIpv6, Direction::kOutbound,
                        TcpState::kCloseWait),
            1u);
}

TEST(SnapshotTest, ConnectedUdpSocketIsAnEstablishedConnectionNotAListener) {
  const Snapshot s = build_snapshot(
      config_for(2908),
      {connection(Protocol::kUdp, Family::kIpv4, TcpState::kEstablished, 2908, 5353)}, {});
  EXPECT_EQ(listeners(s, 2908, Protocol::kUdp, Family::kIpv4), 0u);
  EXPECT_EQ(connections(s, 2908, Protocol::kUdp, Family::kIpv4, Direction::kInbound,
                        TcpState::kEstablished),
            1u);
}

TEST(SnapshotTest, IgnoresUnwatchedPortsAndUnwatchedProtocols) {
  const test::JudgedSnapshot s = test::judge(
      config_for(2908, Expect::kAbsent, {Protocol::kTcp}),
      {tcp_listener(Family::kIpv4, "0.0.0.0", 22, 1), udp_bound(Family::kIpv4, "0.0.0.0", 2908, 2)},
      {});
  ASSERT_EQ(s.listeners.size(), 2u);  // tcp only
  for (const auto& c : s.listeners) EXPECT_EQ(c.count, 0u);
  EXPECT_TRUE(s.listener_info.empty());
  ASSERT_EQ(s.verdicts.size(), 1u);
  EXPECT_EQ(s.verdicts[0].unexpected, 0u);
}

TEST(SnapshotTest, ListenerInfoCarriesAddressUidAndOwner) {
  const Snapshot s = build_snapshot(config_for(2908),
                                    {tcp_listener(Family::kIpv4, "127.0.0.1", 2908, 31, 0),
                                     tcp_listener(Family::kIpv6, "::1", 2908, 32, 1000)},
                                    {{31, {{1234, "python3"}}}});
  ASSERT_EQ(s.listener_info.size(), 2u);
  EXPECT_EQ(s.listener_info[0],
            (ListenerInfo{2908, Protocol::kTcp, Family::kIpv4, "127.0.0.1", 0, 1234, "python3"}));
  EXPECT_EQ(s.listener_info[1],
            (ListenerInfo{2908, Protocol::kTcp, Family::kIpv6, "::1", 1000, 0, "unknown"}));
}

TEST(SnapshotTest, ASocketHeldByTwoProcessesHasOneInfoSeriesPerProcess) {
  const Snapshot s = build_snapshot(config_for(2908, Expect::kPresent, {Protocol::kTcp}),
                                    {tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 41, 0)},
                                    {{41, {{1, "systemd"}, {812, "sleep"}}}});
  EXPECT_EQ(listeners(s, 2908, Protocol::kTcp, Family::kIpv4), 1u);
  ASSERT_EQ(s.listener_info.size(), 2u);
  EXPECT_EQ(s.listener_info[0].process, "systemd");
  EXPECT_EQ(s.listener_info[1].process, "sleep");
  EXPECT_EQ(s.listener_info[1].pid, 812);
}

TEST(SnapshotTest, ListenerInodesAreThoseOfWatchedListenersOnly) {
  const auto inodes = listener_inodes(
      config_for(2908),
      {tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 9),
       tcp_listener(Family::kIpv4, "0.0.0.0", 22, 8), udp_bound(Family::kIpv6, "::", 2908, 5),
       tcp_listener(Family::kIpv6, "::", 2908, 9),
       connection(Protocol::kTcp, Family::kIpv4, TcpState::kEstablished, 2908, 1, 77)});
  EXPECT_EQ(inodes, (std::vector<std::uint64_t>{5, 9}));
}

TEST(SnapshotTest, ListenerInfoCarriesTheOwnersContainerOrItsNamespaces) {
  Config config = config_for(2908, Expect::kAbsent, {Protocol::kTcp});
  config.ports[0].namespaces = NamespaceMode::kAll;
  const std::string id(64, 'a');
  SocketRecord owned = tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 51, 0);
  owned.netns = 4026532001;
  SocketRecord unowned = tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 52, 0);
  unowned.netns = 4026532002;
  SocketRecord host = tcp_listener(Family::kIpv4, "127.0.0.1", 2908, 53, 0);
  Owner nginx{77, "nginx", "/usr/sbin/nginx", {id, "shop", "web-7d9f", "nginx"}};
  const Snapshot s =
      build_snapshot(config, {owned, unowned, host}, {{51, {nginx}}}, {{4026532002, "blue"}},
                     {{4026532001, {"ignored: the owner's own wins", "", "", ""}},
                      {4026532002, {"", "shop", "db-0", ""}},
                      {0, {"never for the host", "", "", ""}}});
  ASSERT_EQ(s.listener_info.size(), 3u);
  const ListenerInfo& a = s.listener_info[0];  // sorted by address: 0.0.0.0 first
  const ListenerInfo& b = s.listener_info[1];
  const ListenerInfo& c = s.listener_info[2];
  const ListenerInfo& in_pod = a.pid == 77 ? a : b;
  const ListenerInfo& unknown = a.pid == 77 ? b : a;
  EXPECT_EQ(in_pod.netns, "netns:4026532001");
  EXPECT_EQ(in_pod.container_id, id);
  EXPECT_EQ(in_pod.k8s_namespace_name, "shop");
  EXPECT_EQ(in_pod.k8s_pod_name, "web-7d9f");
  EXPECT_EQ(in_pod.k8s_container_name, "nginx");
  EXPECT_EQ(unknown.netns, "blue");
  EXPECT_EQ(unknown.process, "unknown");
  EXPECT_EQ(unknown.container_id, "");
  EXPECT_EQ(unknown.k8s_namespace_name, "shop");
  EXPECT_EQ(unknown.k8s_pod_name, "db-0");
  EXPECT_EQ(c.netns, "host");
  EXPECT_EQ(c.container_id, "");
}

TEST(SnapshotTest, ListenerSocketsCarryTheirNamespace) {
  SocketRecord in_pod = tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 61, 0);
  in_pod.netns = 4026532001;
  const std::vector<SocketRef> sockets = listener_sockets(
      config_for(2908), {in_pod, tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 60, 0),
                         tcp_listener(Family::kIpv4, "0.0.0.0", 2909, 62, 0)});
  ASSERT_EQ(sockets.size(), 2u);
  EXPECT_EQ(sockets[0].inode, 60u);
  EXPECT_EQ(sockets[0].netns, 0u);
  EXPECT_EQ(sockets[1].inode, 61u);
  EXPECT_EQ(sockets[1].netns, 4026532001u);
}

}  // namespace
}  // namespace port_exporter
