// SPDX-License-Identifier: Apache-2.0
// Destroy notifications decoded from datagrams recorded from real sockets
// (tests/fixtures/netlink/destroy, manifest.txt there; see tests/fixtures/README.md).
#include "kernel/destroy_messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/sock_diag.h>

#include <fstream>
#include <iterator>

#include "records.h"

namespace port_exporter {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;

// From manifest.txt.
constexpr std::uint16_t kTcp4Port = 37511;
constexpr std::uint16_t kClientPort = 47278;
constexpr std::uint16_t kTcp6Port = 52217;
constexpr std::uint16_t kBoundPort = 54653;
constexpr std::uint16_t kUdp4Port = 35644;
constexpr std::uint16_t kUdp6Port = 36893;
constexpr std::uint16_t kUdp6ClientPort = 58173;

Bytes read_destroy(const std::string& name) {
  std::ifstream in(std::string(FIXTURES_DIR) + "/netlink/destroy/" + name + ".bin",
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

SocketRecord decode_one(const Bytes& bytes, std::optional<Protocol> group = std::nullopt) {
  auto decoded = decode_destroy_messages(bytes.data(), bytes.size(), group);
  EXPECT_TRUE(decoded) << (decoded ? "" : decoded.error());
  EXPECT_EQ(decoded ? decoded->size() : 0U, 1U);
  return decoded && decoded->size() == 1 ? decoded->front() : SocketRecord{};
}

SocketRecord closed(Protocol p, Family f, const std::string& local, std::uint16_t lport,
                    const std::string& remote, std::uint16_t rport) {
  SocketRecord r;
  r.protocol = p;
  r.family = f;
  r.state = TcpState::kClose;  // a TCP socket is CLOSE by the time it is freed
  r.local = test::endpoint(f, local, lport);
  r.remote = test::endpoint(f, remote, rport);
  return r;  // inode and uid 0: the kernel reports neither
}

TEST(DestroyMessagesTest, ClosedTcpListenerHasNoRemotePortAndNoOwner) {
  EXPECT_EQ(decode_one(read_destroy("tcp4_listener")),
            closed(Protocol::kTcp, Family::kIpv4, "127.0.0.1", kTcp4Port, "0.0.0.0", 0));
  EXPECT_EQ(decode_one(read_destroy("tcp6_listener")),
            closed(Protocol::kTcp, Family::kIpv6, "::", kTcp6Port, "::", 0));
}

TEST(DestroyMessagesTest, BoundOnlyTcpSocketLooksLikeAListener) {
  EXPECT_EQ(decode_one(read_destroy("tcp4_bound_only")),
            closed(Protocol::kTcp, Family::kIpv4, "127.0.0.1", kBoundPort, "0.0.0.0", 0));
}

TEST(DestroyMessagesTest, BothEndsOfATcpConnectionCarryTheirPorts) {
  EXPECT_EQ(
      decode_one(read_destroy("tcp4_client")),
      closed(Protocol::kTcp, Family::kIpv4, "127.0.0.1", kClientPort, "127.0.0.1", kTcp4Port));
  EXPECT_EQ(
      decode_one(read_destroy("tcp4_server")),
      closed(Protocol::kTcp, Family::kIpv4, "127.0.0.1", kTcp4Port, "127.0.0.1", kClientPort));
}

TEST(DestroyMessagesTest, UdpProtocolComesFromTheAttributeNotTheGroup) {
  // The wrong group on purpose: INET_DIAG_PROTOCOL wins.
  EXPECT_EQ(decode_one(read_destroy("udp4_bound"), Protocol::kTcp),
            closed(Protocol::kUdp, Family::kIpv4, "0.0.0.0", kUdp4Port, "0.0.0.0", 0));
  SocketRecord connected =
      closed(Protocol::kUdp, Family::kIpv6, "::1", kUdp6ClientPort, "::1", kUdp6Port);
  connected.state = TcpState::kEstablished;  // a connected UDP socket keeps its state
  EXPECT_EQ(decode_one(read_destroy("udp6_connected"), Protocol::kTcp), connected);
}

TEST(DestroyMessagesTest, WithoutTheProtocolAttributeTheGroupDecides) {
  Bytes bytes = read_destroy("udp4_bound");
  bytes[16 + 72 + 2] = 99;  // the attribute's type: no longer INET_DIAG_PROTOCOL
  EXPECT_EQ(decode_one(bytes, Protocol::kUdp).protocol, Protocol::kUdp);
  auto unknown = decode_destroy_messages(bytes.data(), bytes.size(), std::nullopt);
  ASSERT_TRUE(unknown);
  EXPECT_TRUE(unknown->empty());
}

TEST(DestroyMessagesTest, OtherProtocolsAreSkipped) {
  Bytes bytes = read_destroy("udp4_bound");
  bytes[16 + 72 + 4] = 136;  // IPPROTO_UDPLITE
  auto decoded = decode_destroy_messages(bytes.data(), bytes.size(), Protocol::kUdp);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->empty());
}

TEST(DestroyMessagesTest, SeveralMessagesInOneDatagramAllDecode) {
  Bytes bytes = read_destroy("tcp4_client");
  const Bytes second = read_destroy("udp4_bound");
  bytes.insert(bytes.end(), second.begin(), second.end());
  auto decoded = decode_destroy_messages(bytes.data(), bytes.size(), std::nullopt);
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->size(), 2U);
  EXPECT_EQ((*decoded)[1].local.port, kUdp4Port);
}

TEST(DestroyMessagesTest, TruncatedMessagesAreErrorsNamingTheOffset) {
  const Bytes bytes = read_destroy("tcp4_listener");
  auto header_only = decode_destroy_messages(bytes.data(), 10, std::nullopt);
  ASSERT_FALSE(header_only);
  EXPECT_THAT(header_only.error(), HasSubstr("truncated nlmsghdr at byte 0"));
  auto cut = decode_destroy_messages(bytes.data(), 200, std::nullopt);
  ASSERT_FALSE(cut);
  EXPECT_THAT(cut.error(), HasSubstr("bad nlmsg_len 380 at byte 0"));
  Bytes bad_attr = bytes;
  bad_attr[16 + 72] = 200;  // the first attribute's length overshoots the next one
  bad_attr[16 + 72 + 1] = 1;
  auto attr = decode_destroy_messages(bad_attr.data(), bad_attr.size(), std::nullopt);
  ASSERT_FALSE(attr);
  EXPECT_THAT(attr.error(), HasSubstr("bad attribute length at byte 88"));
}

TEST(DestroyMessagesTest, GroupsMapToTheirProtocols) {
  EXPECT_EQ(destroy_group_mask(), 0xfU);
  EXPECT_EQ(destroy_group_protocol(1U << (SKNLGRP_INET_TCP_DESTROY - 1)), Protocol::kTcp);
  EXPECT_EQ(destroy_group_protocol(1U << (SKNLGRP_INET6_TCP_DESTROY - 1)), Protocol::kTcp);
  EXPECT_EQ(destroy_group_protocol(1U << (SKNLGRP_INET_UDP_DESTROY - 1)), Protocol::kUdp);
  EXPECT_EQ(destroy_group_protocol(1U << (SKNLGRP_INET6_UDP_DESTROY - 1)), Protocol::kUdp);
  EXPECT_EQ(destroy_group_protocol(0), std::nullopt);
}

}  // namespace
}  // namespace port_exporter
