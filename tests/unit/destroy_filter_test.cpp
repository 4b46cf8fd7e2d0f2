// SPDX-License-Identifier: Apache-2.0
// The destroy-notification socket filter: instruction by instruction, and run (by a
// classic BPF interpreter with the kernel's rules) on notifications recorded from real
// sockets (tests/fixtures/netlink/destroy).
#include "kernel/destroy_filter.h"

#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>

#include <fstream>
#include <iterator>

#include "classic_bpf.h"

namespace port_exporter {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Program = std::vector<sock_filter>;

Bytes read_destroy(const std::string& name) {
  std::ifstream in(std::string(FIXTURES_DIR) + "/netlink/destroy/" + name + ".bin",
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

bool same(const sock_filter& a, const sock_filter& b) {
  return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
}

void expect_program(const Program& actual, const Program& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_TRUE(same(actual[i], expected[i]))
        << "instruction " << i << ": code " << actual[i].code << " jt " << int{actual[i].jt}
        << " jf " << int{actual[i].jf} << " k " << actual[i].k;
  }
}

Program build(const WatchSet& watch) {
  auto program = build_destroy_filter(watch);
  EXPECT_TRUE(program.has_value());
  return program.value_or(Program{});
}

const std::uint32_t kAttrType = ntohs(INET_DIAG_PROTOCOL);  // as BPF_H reads it

TEST(DestroyFilterTest, OneTcpPortAndTwoUdpPortsInstructionByInstruction) {
  expect_program(build(WatchSet{{2908}, {53, 2908}}),
                 {
                     BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
                     BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 93, 1, 0),
                     BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
                     BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 90),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAttrType, 1, 0),
                     BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
                     BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 92),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 1),
                     BPF_STMT(BPF_JMP | BPF_JA, 3),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 1),
                     BPF_STMT(BPF_JMP | BPF_JA, 8),  // past the 7 TCP instructions
                     BPF_STMT(BPF_RET | BPF_K, 0),
                     // TCP (index 12): sport, dport, drop
                     BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2908, 0, 1),
                     BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
                     BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 22),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2908, 0, 1),
                     BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
                     BPF_STMT(BPF_RET | BPF_K, 0),
                     // UDP (index 19)
                     BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 53, 0, 1),
                     BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2908, 0, 1),
                     BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
                     BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 22),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 53, 0, 1),
                     BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2908, 0, 1),
                     BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
                     BPF_STMT(BPF_RET | BPF_K, 0),
                 });
}

TEST(DestroyFilterTest, AProtocolWithoutPortsDropsEverything) {
  const Program program = build(WatchSet{{}, {2908}});
  ASSERT_EQ(program.size(), 12U + 1U + 7U);
  EXPECT_TRUE(same(program[12], BPF_STMT(BPF_RET | BPF_K, 0)));
  EXPECT_TRUE(same(program[10], BPF_STMT(BPF_JMP | BPF_JA, 2)));
}

TEST(DestroyFilterTest, KeepsRecordedNotificationsOnWatchedPortsOnly) {
  // Ports from tests/fixtures/netlink/destroy/manifest.txt.
  const WatchSet tcp_listener_port{{37511}, {}};
  EXPECT_EQ(test::run_classic_bpf(build(tcp_listener_port), read_destroy("tcp4_listener")),
            kFilterKeep);
  EXPECT_EQ(test::run_classic_bpf(build(tcp_listener_port), read_destroy("tcp4_client")),
            kFilterKeep);  // remote port
  EXPECT_EQ(test::run_classic_bpf(build(tcp_listener_port), read_destroy("tcp4_server")),
            kFilterKeep);  // local port
  EXPECT_EQ(test::run_classic_bpf(build(tcp_listener_port), read_destroy("tcp6_listener")),
            kFilterDrop);
  // The same number as a UDP port does not keep the TCP notification, and vice versa.
  EXPECT_EQ(test::run_classic_bpf(build(WatchSet{{}, {37511}}), read_destroy("tcp4_listener")),
            kFilterDrop);
  EXPECT_EQ(test::run_classic_bpf(build(WatchSet{{35644}, {}}), read_destroy("udp4_bound")),
            kFilterDrop);
  EXPECT_EQ(test::run_classic_bpf(build(WatchSet{{}, {35644}}), read_destroy("udp4_bound")),
            kFilterKeep);
  EXPECT_EQ(test::run_classic_bpf(build(WatchSet{{}, {36893}}), read_destroy("udp6_connected")),
            kFilterKeep);
  EXPECT_EQ(test::run_classic_bpf(build(WatchSet{}), read_destroy("udp6_connected")), kFilterDrop);
}

TEST(DestroyFilterTest, AnUnknownLayoutReachesUserSpace) {
  Bytes bytes = read_destroy("tcp4_listener");
  bytes[90] = 99;  // the first attribute is not INET_DIAG_PROTOCOL
  EXPECT_EQ(test::run_classic_bpf(build(WatchSet{}), bytes), kFilterKeep);
  bytes.resize(92);  // too short to hold the protocol
  EXPECT_EQ(test::run_classic_bpf(build(WatchSet{}), bytes), kFilterKeep);
  Bytes udplite = read_destroy("udp4_bound");
  udplite[92] = 136;
  EXPECT_EQ(test::run_classic_bpf(build(WatchSet{{35644}, {35644}}), udplite), kFilterDrop);
}

TEST(DestroyFilterTest, TooManyPortsForOneProgramGiveNothing) {
  WatchSet watch;
  for (std::uint16_t p = 1; p <= 1020; ++p) watch.tcp.push_back(p);
  EXPECT_TRUE(build_destroy_filter(watch).has_value());  // 12 + 4 * 1020 + 1 = 4093
  watch.tcp.push_back(1021);
  EXPECT_FALSE(build_destroy_filter(watch).has_value());
}

}  // namespace
}  // namespace port_exporter
