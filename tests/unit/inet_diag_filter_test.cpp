// SPDX-License-Identifier: Apache-2.0
#include "kernel/inet_diag_filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>

#include <cstring>
#include <random>

namespace port_exporter {
namespace {

using Bytes = std::vector<std::uint8_t>;

// One 4-byte op as the kernel reads it (host byte order for `no`).
Bytes op(std::uint8_t code, std::uint8_t yes, std::uint16_t no) {
  inet_diag_bc_op value{code, yes, no};
  Bytes bytes(sizeof value);
  std::memcpy(bytes.data(), &value, sizeof value);
  return bytes;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

inet_diag_bc_op op_at(const Bytes& code, std::size_t offset) {
  inet_diag_bc_op value;
  std::memcpy(&value, code.data() + offset, sizeof value);
  return value;
}

// The kernel's inet_diag_bc_audit for the ops we emit: every jump lands on an op boundary
// of the `yes` chain, at the end, or 4 bytes past it.
bool kernel_accepts(const Bytes& code) {
  std::vector<bool> boundary(code.size() + 1, false);
  for (std::size_t at = 0; at < code.size(); at += op_at(code, at).yes) {
    boundary[at] = true;
    if (op_at(code, at).yes < 4 || op_at(code, at).yes % 4 != 0) return false;
  }
  boundary[code.size()] = true;
  std::size_t at = 0;
  while (at < code.size()) {
    const inet_diag_bc_op o = op_at(code, at);
    const std::size_t len = code.size() - at;
    const std::size_t min_len = o.code == INET_DIAG_BC_JMP ? 4 : 8;
    if (o.code != INET_DIAG_BC_JMP && (len < 8 || o.code < INET_DIAG_BC_S_GE ||
                                       (o.code > INET_DIAG_BC_D_LE && o.code != INET_DIAG_BC_S_EQ &&
                                        o.code != INET_DIAG_BC_D_EQ))) {
      return false;
    }
    for (const std::size_t jump : {std::size_t{o.yes}, std::size_t{o.no}}) {
      if (jump < min_len || jump > len + 4 || jump % 4 != 0) return false;
      if (jump < len && !boundary[at + jump]) return false;
    }
    at += o.yes;
  }
  return at == code.size();
}

// The kernel's inet_diag_bc_run.
bool kernel_matches(const Bytes& code, std::uint16_t sport, std::uint16_t dport) {
  long len = static_cast<long>(code.size());
  std::size_t at = 0;
  while (len > 0) {
    const inet_diag_bc_op o = op_at(code, at);
    const std::uint16_t port = o.code == INET_DIAG_BC_JMP ? 0 : op_at(code, at + 4).no;
    bool yes = false;
    switch (o.code) {
      case INET_DIAG_BC_S_EQ: yes = sport == port; break;
      case INET_DIAG_BC_D_EQ: yes = dport == port; break;
      case INET_DIAG_BC_S_GE: yes = sport >= port; break;
      case INET_DIAG_BC_S_LE: yes = sport <= port; break;
      case INET_DIAG_BC_D_GE: yes = dport >= port; break;
      case INET_DIAG_BC_D_LE: yes = dport <= port; break;
      default: yes = false;  // JMP
    }
    const std::size_t jump = yes ? o.yes : o.no;
    len -= static_cast<long>(jump);
    at += jump;
  }
  return len == 0;
}

TEST(BuildPortFilter, NoPortsGiveNoFilter) {
  EXPECT_TRUE(build_port_filter({}).empty());
  EXPECT_TRUE(build_port_filter({0}).empty());
}

TEST(BuildPortFilter, OnePortIsSourceOrDestinationEqual) {
  const Bytes expected = concat({op(INET_DIAG_BC_S_EQ, 8, 12), op(0, 0, 2908),  //
                                 op(INET_DIAG_BC_JMP, 4, 12),                   //
                                 op(INET_DIAG_BC_D_EQ, 8, 12), op(0, 0, 2908)});
  EXPECT_EQ(build_port_filter({2908}), expected);
}

TEST(BuildPortFilter, OnePortBytesInLittleEndian) {
  if (op(0, 0, 1)[2] != 1) GTEST_SKIP() << "big-endian host";
  // 2908 = 0x0b5c.
  const Bytes expected = {11, 8, 12, 0, 0,  0, 0x5c, 0x0b, 1,    4,
                          12, 0, 12, 8, 12, 0, 0,    0,    0x5c, 0x0b};
  EXPECT_EQ(build_port_filter({2908}), expected);
}

TEST(BuildPortFilter, EachJumpLandsOnTheEndOfTheProgram) {
  const Bytes expected = concat({op(INET_DIAG_BC_S_EQ, 8, 12), op(0, 0, 80),   // 0
                                 op(INET_DIAG_BC_JMP, 4, 36),                  // 8
                                 op(INET_DIAG_BC_S_EQ, 8, 12), op(0, 0, 443),  // 12
                                 op(INET_DIAG_BC_JMP, 4, 24),                  // 20
                                 op(INET_DIAG_BC_D_EQ, 8, 12), op(0, 0, 80),   // 24
                                 op(INET_DIAG_BC_JMP, 4, 12),                  // 32
                                 op(INET_DIAG_BC_D_EQ, 8, 12), op(0, 0, 443)});
  EXPECT_EQ(build_port_filter({80, 443}), expected);
}

TEST(BuildPortFilter, ConsecutivePortsBecomeOneRange) {
  const Bytes expected = concat({op(INET_DIAG_BC_S_GE, 8, 20), op(0, 0, 100),  //
                                 op(INET_DIAG_BC_S_LE, 8, 12), op(0, 0, 102),  //
                                 op(INET_DIAG_BC_JMP, 4, 20),                  //
                                 op(INET_DIAG_BC_D_GE, 8, 20), op(0, 0, 100),  //
                                 op(INET_DIAG_BC_D_LE, 8, 12), op(0, 0, 102)});
  EXPECT_EQ(build_port_filter({101, 100, 102}), expected);
}

TEST(BuildPortFilter, OrderDuplicatesAndPortZeroDoNotMatter) {
  EXPECT_EQ(build_port_filter({443, 0, 80, 443, 80}), build_port_filter({80, 443}));
}

TEST(BuildPortFilter, EveryPortIsOneRange) {
  std::vector<std::uint16_t> all;
  for (std::uint32_t p = 1; p <= 65535; ++p) all.push_back(static_cast<std::uint16_t>(p));
  EXPECT_EQ(build_port_filter(all).size(), 36u);
}

TEST(BuildPortFilter, GivesUpBeyondOneAttribute) {
  std::vector<std::uint16_t> scattered;  // no two consecutive: one 24-byte pair each
  for (std::uint16_t p = 2; scattered.size() < 2730; p += 2) scattered.push_back(p);
  EXPECT_EQ(build_port_filter(scattered).size(), 24u * 2730 - 4);
  scattered.push_back(60000);
  EXPECT_TRUE(build_port_filter(scattered).empty());
}

TEST(BuildPortFilter, KernelAuditAcceptsEveryShape) {
  EXPECT_TRUE(kernel_accepts(build_port_filter({2908})));
  EXPECT_TRUE(kernel_accepts(build_port_filter({80, 443})));
  EXPECT_TRUE(kernel_accepts(build_port_filter({100, 101, 102, 200, 300, 301})));
  EXPECT_FALSE(kernel_accepts(concat({op(INET_DIAG_BC_JMP, 4, 12)})));  // jumps too far
}

TEST(BuildPortFilter, MatchesExactlyTheWatchedPortsOnEitherSide) {
  std::mt19937 random(2908);
  std::uniform_int_distribution<int> port_of(1, 400);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < round * 3 + 1; ++i)
      ports.push_back(static_cast<std::uint16_t>(port_of(random)));
    const Bytes code = build_port_filter(ports);
    ASSERT_TRUE(kernel_accepts(code));
    for (std::uint16_t p = 0; p <= 401; ++p) {
      const bool watched = std::find(ports.begin(), ports.end(), p) != ports.end();
      ASSERT_EQ(kernel_matches(code, p, 0), watched) << "sport " << p;
      ASSERT_EQ(kernel_matches(code, 0, p), watched) << "dport " << p;
      ASSERT_EQ(kernel_matches(code, 50000, p), watched) << "dport " << p;
    }
  }
}

TEST(KernelFilterChoiceTest, FiltersInTheKernelUpToTheRunBound) {
  std::vector<std::uint16_t> scattered;
  for (std::uint16_t p = 2; scattered.size() < kMaxKernelFilterRuns; p += 2) scattered.push_back(p);
  EXPECT_TRUE(filter_in_kernel(scattered));
  scattered.push_back(60000);
  EXPECT_FALSE(filter_in_kernel(scattered));
}

TEST(KernelFilterChoiceTest, ARangeOfConsecutivePortsIsOneRun) {
  std::vector<std::uint16_t> range;
  for (std::uint16_t p = 10000; p < 12000; ++p) range.push_back(p);
  EXPECT_TRUE(filter_in_kernel(range));
}

}  // namespace
}  // namespace port_exporter
