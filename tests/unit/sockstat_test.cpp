// SPDX-License-Identifier: Apache-2.0
// The "inuse" counts of /proc/net/sockstat{,6} text, as the namespace sweep reads them to
// skip the dumps of a protocol with no socket: recorded kernel text, and text that is not.
#include "kernel/sockstat.h"

#include <gtest/gtest.h>

namespace port_exporter {
namespace {

// Recorded from kernel 6.18 (/proc/net/sockstat and sockstat6 of a namespace).
constexpr std::string_view kSockstat =
    "sockets: used 12\n"
    "TCP: inuse 3 orphan 0 tw 2 alloc 4 mem 137\n"
    "UDP: inuse 0 mem 0\n"
    "UDPLITE: inuse 0\n"
    "RAW: inuse 0\n"
    "FRAG: inuse 0 memory 0\n";
constexpr std::string_view kSockstat6 =
    "TCP6: inuse 1\n"
    "UDP6: inuse 2\n"
    "UDPLITE6: inuse 0\n"
    "RAW6: inuse 0\n"
    "FRAG6: inuse 0 memory 0\n";

TEST(SockstatTest, ReadsTheInuseCountOfEachProtocolLine) {
  EXPECT_EQ(parse_sockstat_inuse(kSockstat, "TCP"), 3u);
  EXPECT_EQ(parse_sockstat_inuse(kSockstat, "UDP"), 0u);  // not UDPLITE's
  EXPECT_EQ(parse_sockstat_inuse(kSockstat6, "TCP6"), 1u);
  EXPECT_EQ(parse_sockstat_inuse(kSockstat6, "UDP6"), 2u);
  EXPECT_EQ(parse_sockstat_inuse("UDP: inuse 7", "UDP"), 7u);  // no final newline
}

// Anything but the kernel's shape is "unknown", and the sweep then dumps as before.
TEST(SockstatTest, AnythingElseIsUnknown) {
  EXPECT_EQ(parse_sockstat_inuse(kSockstat, "TCP6"), std::nullopt);  // other file
  EXPECT_EQ(parse_sockstat_inuse("", "TCP"), std::nullopt);
  EXPECT_EQ(parse_sockstat_inuse("TCP:", "TCP"), std::nullopt);
  EXPECT_EQ(parse_sockstat_inuse("TCP: inuse\n", "TCP"), std::nullopt);
  EXPECT_EQ(parse_sockstat_inuse("TCP: inuse -1 orphan 0\n", "TCP"), std::nullopt);
  EXPECT_EQ(parse_sockstat_inuse("TCP: inuse 1x orphan 0\n", "TCP"), std::nullopt);
  EXPECT_EQ(parse_sockstat_inuse("TCP: orphan 0 inuse 1\n", "TCP"), std::nullopt);
  EXPECT_EQ(parse_sockstat_inuse("TCP: inuse 99999999999999999999999\n", "TCP"), std::nullopt);
  EXPECT_EQ(parse_sockstat_inuse("XTCP: inuse 1\nTCP6: inuse 2\n", "TCP"), std::nullopt);
  EXPECT_EQ(parse_sockstat_inuse(std::string_view("TCP: inuse 1\0", 13), "TCP"), std::nullopt);
}

}  // namespace
}  // namespace port_exporter
