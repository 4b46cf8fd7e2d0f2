// SPDX-License-Identifier: Apache-2.0
// Aggregation and policy on the recorded kernel replies (tests/fixtures/README.md): the
// netlink dumps and the /proc/net copies taken at the same moment give the same snapshot,
// with the counts of the sockets the recorder opened.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/snapshot.h"
#include "judged.h"
#include "kernel/diag_codec.h"
#include "kernel/procfs_source.h"

namespace port_exporter {
namespace {

// Ports of tests/fixtures/sockets_manifest.txt.
constexpr std::uint16_t kTcpPort = 49477;
constexpr std::uint16_t kDualStackPort = 46459;
constexpr std::uint16_t kUdpPort = 37338;
constexpr std::uint16_t kReusePort = 48839;

Config fixture_config() {
  Config config;
  for (auto [port, protocol] :
       {std::pair{kTcpPort, Protocol::kTcp}, std::pair{kDualStackPort, Protocol::kTcp},
        std::pair{kUdpPort, Protocol::kUdp}, std::pair{kReusePort, Protocol::kUdp}}) {
    PortPolicy p;
    p.port = port;
    p.protocols = {protocol};
    config.ports.push_back(p);
  }
  return config;
}

std::vector<SocketRecord> decode_fixture(const std::string& name, Protocol protocol) {
  std::ifstream in(std::string(FIXTURES_DIR) + "/netlink/" + name, std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  auto batch = decode_diag_messages(bytes.data(), bytes.size(), protocol);
  if (!batch) throw std::runtime_error(name + ": " + batch.error());
  return batch->records;
}

std::vector<SocketRecord> netlink_records() {
  std::vector<SocketRecord> all;
  for (auto [name, protocol] :
       {std::pair{"tcp4.bin", Protocol::kTcp}, std::pair{"tcp6.bin", Protocol::kTcp},
        std::pair{"udp4.bin", Protocol::kUdp}, std::pair{"udp6.bin", Protocol::kUdp}}) {
    auto records = decode_fixture(name, protocol);
    all.insert(all.end(), records.begin(), records.end());
  }
  return all;
}

std::uint64_t listeners(const Snapshot& s, std::uint16_t port, Family family) {
  for (const auto& c : s.listeners) {
    if (c.port == port && c.family == family) return c.count;
  }
  throw std::runtime_error("no listener series");
}

std::uint64_t established(const Snapshot& s, std::uint16_t port, Family family,
                          Direction direction) {
  for (const auto& c : s.connections) {
    if (c.port == port && c.family == family && c.direction == direction &&
        c.state == TcpState::kEstablished) {
      return c.count;
    }
  }
  throw std::runtime_error("no connection series");
}

std::uint64_t connection_total(const Snapshot& s) {
  std::uint64_t n = 0;
  for (const auto& c : s.connections) n += c.count;
  return n;
}

TEST(SnapshotFixtureTest, CountsTheRecordedSocketsFromNetlinkReplies) {
  const Snapshot s = build_snapshot(fixture_config(), netlink_records(), {});
  EXPECT_EQ(listeners(s, kTcpPort, Family::kIpv4), 1u);
  EXPECT_EQ(listeners(s, kTcpPort, Family::kIpv6), 1u);
  EXPECT_EQ(listeners(s, kDualStackPort, Family::kIpv4), 0u);
  EXPECT_EQ(listeners(s, kDualStackPort, Family::kIpv6), 1u);
  EXPECT_EQ(listeners(s, kUdpPort, Family::kIpv4), 1u);
  EXPECT_EQ(listeners(s, kUdpPort, Family::kIpv6), 1u);
  EXPECT_EQ(listeners(s, kReusePort, Family::kIpv4), 40u);

  for (Family f : {Family::kIpv4, Family::kIpv6}) {
    EXPECT_EQ(established(s, kTcpPort, f, Direction::kInbound), 1u);
    EXPECT_EQ(established(s, kTcpPort, f, Direction::kOutbound), 1u);
    EXPECT_EQ(established(s, kUdpPort, f, Direction::kOutbound), 1u);
  }
  // The dual-stack listener's IPv4 client: its accepted end is IPv4-mapped IPv6.
  EXPECT_EQ(established(s, kDualStackPort, Family::kIpv6, Direction::kInbound), 1u);
  EXPECT_EQ(established(s, kDualStackPort, Family::kIpv4, Direction::kOutbound), 1u);
  EXPECT_EQ(connection_total(s), 8u);
}

TEST(SnapshotFixtureTest, AppliesPolicyAndDescribesListenersOfRecordedReplies) {
  const test::JudgedSnapshot s =
      test::judge(fixture_config(), netlink_records(), {{35043, {{77, "sshd"}}}});
  ASSERT_EQ(s.verdicts.size(), 4u);
  EXPECT_EQ(s.verdicts[0].unexpected, 2u);   // tcp_port: 0.0.0.0 and [::]
  EXPECT_EQ(s.verdicts[1].unexpected, 1u);   // dual-stack
  EXPECT_EQ(s.verdicts[2].unexpected, 2u);   // udp 0.0.0.0 and [::]
  EXPECT_EQ(s.verdicts[3].unexpected, 40u);  // the SO_REUSEPORT group
  // 2 + 1 + 2 identities; the 40 reuseport sockets share one (same address, uid, owner).
  ASSERT_EQ(s.listener_info.size(), 6u);
  const auto dual = std::find_if(s.listener_info.begin(), s.listener_info.end(),
                                 [](const ListenerInfo& l) { return l.port == kDualStackPort; });
  ASSERT_NE(dual, s.listener_info.end());
  EXPECT_EQ(*dual,
            (ListenerInfo{kDualStackPort, Protocol::kTcp, Family::kIpv6, "::", 0, 77, "sshd"}));
}

TEST(SnapshotFixtureTest, ProcNetFilesRecordedAtTheSameMomentGiveTheSameCounts) {
  const Config config = fixture_config();
  ProcfsSource procfs(std::string(FIXTURES_DIR) + "/procfs");
  auto records = procfs.dump(watch_set(config));
  ASSERT_TRUE(records.ok()) << records.error();
  const Snapshot from_procfs = build_snapshot(config, *records, {});
  const Snapshot from_netlink = build_snapshot(config, netlink_records(), {});
  ASSERT_EQ(from_procfs.listeners.size(), from_netlink.listeners.size());
  for (std::size_t i = 0; i < from_netlink.listeners.size(); ++i) {
    EXPECT_EQ(from_procfs.listeners[i].count, from_netlink.listeners[i].count) << i;
  }
  ASSERT_EQ(from_procfs.connections.size(), from_netlink.connections.size());
  for (std::size_t i = 0; i < from_netlink.connections.size(); ++i) {
    EXPECT_EQ(from_procfs.connections[i].count, from_netlink.connections[i].count) << i;
  }
  EXPECT_EQ(from_procfs.listener_info, from_netlink.listener_info);
}

}  // namespace
}  // namespace port_exporter
