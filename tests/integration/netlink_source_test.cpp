// SPDX-License-Identifier: Apache-2.0
// NetlinkSource on real sockets on loopback, compared with `ss` run on the same sockets
// with the same port filter.
#include "kernel/netlink_source.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "kernel/inet_diag_filter.h"
#include "socket_helpers.h"

namespace port_exporter {
namespace {

// (protocol, family, ss state name, listener) -> sockets.
using Kind = std::tuple<std::string, std::string, std::string, bool>;
using KindCounts = std::map<Kind, int>;

KindCounts count_kinds(const std::vector<SocketRecord>& records) {
  KindCounts counts;
  for (const SocketRecord& r : records) {
    ++counts[{std::string(to_string(r.protocol)), std::string(to_string(r.family)),
              std::string(test::ss_state_name(r.state)), is_listener(r)}];
  }
  return counts;
}

// The same counts from ss lines: State Recv-Q Send-Q Local Peer.
KindCounts count_kinds_with_ss(const WatchSet& watch) {
  KindCounts counts;
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    if (watch.ports(protocol).empty()) continue;
    for (const Family family : {Family::kIpv4, Family::kIpv6}) {
      const std::string options = std::string(protocol == Protocol::kTcp ? "-t" : "-u") + " -a " +
                                  (family == Family::kIpv4 ? "-4" : "-6");
      for (const std::string& line :
           test::run_ss(options, test::ss_port_filter(watch.ports(protocol)))) {
        std::istringstream fields(line);
        std::string state, recv_q, send_q, local, peer;
        fields >> state >> recv_q >> send_q >> local >> peer;
        const bool unconnected = peer.size() >= 2 && peer.substr(peer.size() - 2) == ":*";
        const bool listener = state == "LISTEN" || (state == "UNCONN" && unconnected);
        ++counts[{std::string(to_string(protocol)), std::string(to_string(family)), state,
                  listener}];
      }
    }
  }
  return counts;
}

std::unique_ptr<NetlinkSource> open_source() {
  Result<std::unique_ptr<NetlinkSource>> source = NetlinkSource::open();
  if (!source.ok()) ADD_FAILURE() << source.error();
  return source.ok() ? std::move(source).value() : nullptr;
}

std::vector<SocketRecord> dump(NetlinkSource& source, const WatchSet& watch) {
  Result<std::vector<SocketRecord>> records = source.dump(watch);
  EXPECT_TRUE(records.ok()) << records.error();
  return records.ok() ? records.value() : std::vector<SocketRecord>{};
}

std::multiset<std::uint64_t> inodes_of(const std::vector<SocketRecord>& records) {
  std::multiset<std::uint64_t> inodes;
  for (const SocketRecord& r : records) inodes.insert(r.inode);
  return inodes;
}

// Inodes of the mix's sockets that have one (the half-closed client is an orphan: inode 0).
std::vector<std::uint64_t> watched_inodes(const test::SocketMix& m) {
  std::vector<std::uint64_t> inodes;
  for (const test::TestSocket* s : {&m.loopback_listener,
                                    &m.loopback_connection.client,
                                    &m.loopback_connection.server,
                                    &m.half_closed.server,
                                    &m.ipv4_listener,
                                    &m.ipv6_only_listener,
                                    &m.ipv6_connection.client,
                                    &m.ipv6_connection.server,
                                    &m.dual_stack_listener,
                                    &m.mapped_connection.client,
                                    &m.mapped_connection.server,
                                    &m.reuseport_listeners[0],
                                    &m.reuseport_listeners[1],
                                    &m.udp_bound,
                                    &m.udp_connected,
                                    &m.udp_ipv4_bound,
                                    &m.udp_ipv6_only_bound,
                                    &m.udp_ipv6_connected,
                                    &m.udp_dual_stack_bound,
                                    &m.udp_reuseport[0],
                                    &m.udp_reuseport[1]}) {
    inodes.push_back(s->inode());
  }
  return inodes;
}

bool watched(const SocketRecord& r, const WatchSet& watch) {
  const std::vector<std::uint16_t>& ports = watch.ports(r.protocol);
  return std::count(ports.begin(), ports.end(), r.local.port) +
             std::count(ports.begin(), ports.end(), r.remote.port) >
         0;
}

std::size_t open_fds() {
  std::size_t count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (dir != nullptr && readdir(dir) != nullptr) ++count;
  if (dir != nullptr) closedir(dir);
  return count;
}

// Ports 20000, 20002, ...: scattered, so each costs one bytecode test, never a range.
std::vector<std::uint16_t> scattered_ports(std::size_t count) {
  std::vector<std::uint16_t> ports;
  for (std::uint32_t p = 20000; ports.size() < count; p += 2)
    ports.push_back(static_cast<std::uint16_t>(p));
  return ports;
}

WatchSet sorted(WatchSet watch) {
  for (auto* ports : {&watch.tcp, &watch.udp}) {
    std::sort(ports->begin(), ports->end());
    ports->erase(std::unique(ports->begin(), ports->end()), ports->end());
  }
  return watch;
}

class NetlinkSourceTest : public ::testing::Test {
 protected:
  test::SocketMix mix_ = test::open_socket_mix();
  std::unique_ptr<NetlinkSource> source_ = open_source();
};

TEST_F(NetlinkSourceTest, CountsMatchSsForEveryKindOfSocket) {
  ASSERT_NE(source_, nullptr);
  const std::vector<SocketRecord> records = dump(*source_, mix_.watch_set());
  const KindCounts ours = count_kinds(records);
  EXPECT_EQ(ours, count_kinds_with_ss(mix_.watch_set()));
  // The mix holds each kind: listeners of both protocols and families, connections in
  // several states.
  EXPECT_EQ(ours.count({"tcp", "ipv4", "FIN-WAIT-2", false}), 1u);
  EXPECT_EQ(ours.count({"tcp", "ipv4", "CLOSE-WAIT", false}), 1u);
  EXPECT_EQ(ours.at({"tcp", "ipv4", "LISTEN", true}), 4);  // 127.0.0.1, 0.0.0.0, reuseport x2
  EXPECT_EQ(ours.at({"tcp", "ipv6", "LISTEN", true}), 2);  // V6ONLY and dual-stack
  EXPECT_EQ(ours.at({"udp", "ipv4", "UNCONN", true}), 4);
  EXPECT_EQ(ours.at({"udp", "ipv6", "UNCONN", true}), 2);
  EXPECT_EQ(ours.at({"udp", "ipv6", "ESTAB", false}), 1);
}

TEST_F(NetlinkSourceTest, ReturnsEveryWatchedSocketWithItsInode) {
  ASSERT_NE(source_, nullptr);
  const std::multiset<std::uint64_t> inodes = inodes_of(dump(*source_, mix_.watch_set()));
  for (const std::uint64_t inode : watched_inodes(mix_))
    EXPECT_EQ(inodes.count(inode), 1u) << inode;
}

TEST_F(NetlinkSourceTest, KernelFilterDropsUnwatchedSockets) {
  ASSERT_NE(source_, nullptr);
  const std::vector<SocketRecord> records = dump(*source_, mix_.watch_set());
  for (const SocketRecord& r : records) EXPECT_TRUE(watched(r, mix_.watch_set())) << r.local.port;
  const std::multiset<std::uint64_t> inodes = inodes_of(records);
  for (const test::TestSocket* s : {&mix_.unwatched_listener, &mix_.unwatched_connection.client,
                                    &mix_.unwatched_connection.server, &mix_.unwatched_udp_bound,
                                    &mix_.unwatched_udp_connected}) {
    EXPECT_EQ(inodes.count(s->inode()), 0u);
  }
}

TEST_F(NetlinkSourceTest, DualStackListenerCountsOnceAsIpv6) {
  ASSERT_NE(source_, nullptr);
  const std::uint16_t port = mix_.dual_stack_listener.local_port();
  std::vector<SocketRecord> listeners;
  for (const SocketRecord& r : dump(*source_, {{port}, {}})) {
    if (is_listener(r)) listeners.push_back(r);
    if (r.inode == mix_.mapped_connection.server.inode()) {
      EXPECT_EQ(r.family, Family::kIpv6);
      EXPECT_EQ(format_address(r.family, r.local.address), "::ffff:127.0.0.1");
    }
  }
  ASSERT_EQ(listeners.size(), 1u);
  EXPECT_EQ(listeners[0].family, Family::kIpv6);
  EXPECT_EQ(listeners[0].inode, mix_.dual_stack_listener.inode());
  EXPECT_EQ(format_address(Family::kIpv6, listeners[0].local.address), "::");
}

TEST_F(NetlinkSourceTest, KernelAcceptsFiltersOfManyPorts) {
  ASSERT_NE(source_, nullptr);
  // 1, 2 and 64 ports, plus a run of consecutive ports (a range test) in the last one.
  for (const std::size_t extra : {0, 1, 60}) {
    std::vector<std::uint16_t> tcp = scattered_ports(extra);
    tcp.push_back(mix_.tcp_ports[0]);
    std::vector<std::uint16_t> udp = tcp;
    if (extra == 60) {
      for (std::uint16_t p = 30000; p < 30003; ++p) tcp.push_back(p);
      udp.insert(udp.end(), mix_.udp_ports.begin(), mix_.udp_ports.end());
    }
    const WatchSet watch = sorted({tcp, udp});
    const std::vector<SocketRecord> records = dump(*source_, watch);
    EXPECT_EQ(count_kinds(records), count_kinds_with_ss(watch)) << watch.tcp.size() << " ports";
    EXPECT_FALSE(records.empty());
  }
}

TEST_F(NetlinkSourceTest, KernelAcceptsTheLargestFilter) {
  ASSERT_NE(source_, nullptr);
  std::vector<std::uint16_t> ports = scattered_ports(2729);
  ports.push_back(mix_.loopback_listener.local_port());
  const WatchSet watch = sorted({ports, {}});
  ASSERT_GT(build_port_filter(watch.tcp).size(), 60000u);
  const std::vector<SocketRecord> records = dump(*source_, watch);
  for (const SocketRecord& r : records) EXPECT_TRUE(watched(r, watch));
  EXPECT_EQ(inodes_of(records).count(mix_.loopback_listener.inode()), 1u);
}

TEST_F(NetlinkSourceTest, FiltersInUserSpaceWhenTheFilterDoesNotFit) {
  ASSERT_NE(source_, nullptr);
  std::vector<std::uint16_t> tcp = scattered_ports(5000);
  tcp.insert(tcp.end(), mix_.tcp_ports.begin(), mix_.tcp_ports.end());
  const WatchSet watch = sorted({tcp, mix_.udp_ports});
  ASSERT_TRUE(build_port_filter(watch.tcp).empty());
  const std::vector<SocketRecord> records = dump(*source_, watch);
  for (const SocketRecord& r : records) EXPECT_TRUE(watched(r, watch));
  const std::multiset<std::uint64_t> inodes = inodes_of(records);
  for (const std::uint64_t inode : watched_inodes(mix_)) EXPECT_EQ(inodes.count(inode), 1u);
  EXPECT_EQ(inodes.count(mix_.unwatched_listener.inode()), 0u);
}

TEST_F(NetlinkSourceTest, SkipsProtocolsWithoutWatchedPorts) {
  ASSERT_NE(source_, nullptr);
  for (const SocketRecord& r : dump(*source_, {mix_.tcp_ports, {}})) {
    EXPECT_EQ(r.protocol, Protocol::kTcp);
  }
  for (const SocketRecord& r : dump(*source_, {{}, mix_.udp_ports})) {
    EXPECT_EQ(r.protocol, Protocol::kUdp);
  }
  EXPECT_TRUE(dump(*source_, {}).empty());
}

TEST_F(NetlinkSourceTest, ReusesOneNetlinkSocketAcrossDumps) {
  ASSERT_NE(source_, nullptr);
  EXPECT_EQ(source_->name(), "netlink");
  const std::size_t before = open_fds();
  for (int i = 0; i < 20; ++i) dump(*source_, mix_.watch_set());
  EXPECT_EQ(open_fds(), before);
  const std::unique_ptr<NetlinkSource> another = open_source();
  EXPECT_EQ(open_fds(), before + 1);
}

}  // namespace
}  // namespace port_exporter
