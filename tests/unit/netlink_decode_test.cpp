// SPDX-License-Identifier: Apache-2.0
// Netlink request encoding and reply decoding on replies recorded from real sockets
// (tests/fixtures/netlink, see tests/fixtures/README.md and sockets_manifest.txt).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "fixtures.h"
#include "kernel/diag_codec.h"
#include "records.h"

namespace port_exporter {
namespace {

using test::describe;

using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;

Bytes read_fixture(const std::string& name) { return test::read_fixture_bytes("netlink/" + name); }

Result<DiagBatch> decode(const Bytes& bytes, Protocol protocol,
                         std::optional<std::uint32_t> seq = std::nullopt) {
  return decode_diag_messages(bytes.data(), bytes.size(), protocol, seq);
}

// Offsets of the messages in a reply.
std::vector<std::size_t> message_offsets(const Bytes& bytes) {
  std::vector<std::size_t> offsets;
  for (std::size_t at = 0; at < bytes.size();) {
    offsets.push_back(at);
    nlmsghdr header;
    std::memcpy(&header, bytes.data() + at, sizeof header);
    at += NLMSG_ALIGN(header.nlmsg_len);
  }
  return offsets;
}

nlmsghdr header_at(const Bytes& bytes, std::size_t offset) {
  nlmsghdr header;
  std::memcpy(&header, bytes.data() + offset, sizeof header);
  return header;
}

void set_header(Bytes& bytes, std::size_t offset, const nlmsghdr& header) {
  std::memcpy(bytes.data() + offset, &header, sizeof header);
}

TEST(BuildDiagRequest, AsksForEveryStateOfOneProtocolAndFamily) {
  const Bytes request = build_diag_request(Protocol::kUdp, Family::kIpv6, 7, {});
  ASSERT_EQ(request.size(), sizeof(nlmsghdr) + sizeof(inet_diag_req_v2));
  const nlmsghdr header = header_at(request, 0);
  EXPECT_EQ(header.nlmsg_len, request.size());
  EXPECT_EQ(header.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(header.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(header.nlmsg_seq, 7u);
  inet_diag_req_v2 body;
  std::memcpy(&body, request.data() + sizeof header, sizeof body);
  EXPECT_EQ(body.sdiag_family, AF_INET6);
  EXPECT_EQ(body.sdiag_protocol, IPPROTO_UDP);
  EXPECT_EQ(body.idiag_states, 0x1ffeu);  // ESTABLISHED..NEW_SYN_RECV, not BOUND_INACTIVE
  EXPECT_EQ(body.idiag_ext, 0);
}

TEST(BuildDiagRequest, CarriesTheBytecodeAsAnAttribute) {
  const Bytes bytecode = {1, 4, 8, 0};
  const Bytes request = build_diag_request(Protocol::kTcp, Family::kIpv4, 1, bytecode);
  const std::size_t body_end = sizeof(nlmsghdr) + sizeof(inet_diag_req_v2);
  ASSERT_EQ(request.size(), body_end + sizeof(nlattr) + bytecode.size());
  EXPECT_EQ(header_at(request, 0).nlmsg_len, request.size());
  nlattr attribute;
  std::memcpy(&attribute, request.data() + body_end, sizeof attribute);
  EXPECT_EQ(attribute.nla_type, INET_DIAG_REQ_BYTECODE);
  EXPECT_EQ(attribute.nla_len, sizeof(nlattr) + bytecode.size());
  EXPECT_EQ(Bytes(request.end() - 4, request.end()), bytecode);
}

TEST(DecodeDiagMessages, DecodesIpv4TcpListenerAndConnections) {
  const Result<DiagBatch> batch = decode(read_fixture("tcp4.bin"), Protocol::kTcp, 101);
  ASSERT_TRUE(batch.ok()) << batch.error();
  EXPECT_TRUE(batch->done);
  EXPECT_FALSE(batch->interrupted);
  EXPECT_THAT(describe(batch->records),
              ::testing::ElementsAre(
                  "tcp ipv4 established 127.0.0.1:34312 -> 127.0.0.1:46459 inode 35044 uid 0",
                  "tcp ipv4 established 127.0.0.1:49477 -> 127.0.0.1:59466 inode 35040 uid 0",
                  "tcp ipv4 established 127.0.0.1:59466 -> 127.0.0.1:49477 inode 35039 uid 0",
                  "tcp ipv4 listen 0.0.0.0:49477 -> 0.0.0.0:0 inode 35037 uid 0"));
}

TEST(DecodeDiagMessages, DecodesIpv6IncludingV4MappedAndDualStack) {
  const Result<DiagBatch> batch = decode(read_fixture("tcp6.bin"), Protocol::kTcp, 103);
  ASSERT_TRUE(batch.ok()) << batch.error();
  EXPECT_TRUE(batch->done);
  EXPECT_THAT(describe(batch->records),
              ::testing::ElementsAre(
                  "tcp ipv6 established ::1:38700 -> ::1:49477 inode 35041 uid 0",
                  "tcp ipv6 established ::1:49477 -> ::1:38700 inode 35042 uid 0",
                  "tcp ipv6 established ::ffff:127.0.0.1:46459 -> ::ffff:127.0.0.1:34312 inode "
                  "35045 uid 0",
                  "tcp ipv6 listen :::46459 -> :::0 inode 35043 uid 0",
                  "tcp ipv6 listen :::49477 -> :::0 inode 35038 uid 0"));
}

TEST(DecodeDiagMessages, DecodesUdpBoundAndConnected) {
  const Result<DiagBatch> batch = decode(read_fixture("udp6.bin"), Protocol::kUdp, 104);
  ASSERT_TRUE(batch.ok()) << batch.error();
  EXPECT_THAT(
      describe(batch->records),
      ::testing::ElementsAre("udp ipv6 close :::37338 -> :::0 inode 35047 uid 0",
                             "udp ipv6 established ::1:33943 -> ::1:37338 inode 35049 uid 0"));
  EXPECT_TRUE(is_listener(batch->records[0]) != is_listener(batch->records[1]));
}

TEST(DecodeDiagMessages, JoinsAReplySpanningSeveralDatagrams) {
  // 40 SO_REUSEPORT sockets + 2: recorded as two data datagrams and NLMSG_DONE.
  const Result<DiagBatch> batch = decode(read_fixture("udp4.bin"), Protocol::kUdp, 102);
  ASSERT_TRUE(batch.ok()) << batch.error();
  EXPECT_TRUE(batch->done);
  ASSERT_EQ(batch->records.size(), 42u);
  const auto on_port = [&](std::uint16_t port) {
    return std::count_if(batch->records.begin(), batch->records.end(),
                         [&](const SocketRecord& r) { return r.local.port == port; });
  };
  EXPECT_EQ(on_port(48839), 40);
  EXPECT_EQ(on_port(37338), 1);
  EXPECT_EQ(on_port(48507), 1);
}

TEST(DecodeDiagMessages, AReplyCutAtAMessageBoundaryIsNotDoneYet) {
  const Bytes reply = read_fixture("udp4.bin");
  const std::vector<std::size_t> offsets = message_offsets(reply);
  const std::size_t cut = offsets[20];
  const Bytes first(reply.begin(), reply.begin() + static_cast<long>(cut));
  const Bytes rest(reply.begin() + static_cast<long>(cut), reply.end());
  const Result<DiagBatch> a = decode(first, Protocol::kUdp, 102);
  const Result<DiagBatch> b = decode(rest, Protocol::kUdp, 102);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->done);
  EXPECT_TRUE(b->done);
  EXPECT_EQ(a->records.size() + b->records.size(), 42u);
}

TEST(DecodeDiagMessages, TruncatedReplyIsAnErrorNotACrash) {
  const Bytes reply = read_fixture("tcp4.bin");
  const std::vector<std::size_t> offsets = message_offsets(reply);
  for (std::size_t len = 1; len < reply.size(); ++len) {
    if (std::find(offsets.begin(), offsets.end(), len) != offsets.end()) continue;
    const Result<DiagBatch> batch = decode_diag_messages(reply.data(), len, Protocol::kTcp);
    ASSERT_FALSE(batch.ok()) << "cut at " << len;
    EXPECT_THAT(batch.error(), HasSubstr("malformed netlink reply"));
  }
}

TEST(DecodeDiagMessages, MessageShorterThanItsHeaderIsAnError) {
  Bytes reply = read_fixture("tcp4.bin");
  nlmsghdr header = header_at(reply, 0);
  header.nlmsg_len = 8;
  set_header(reply, 0, header);
  const Result<DiagBatch> batch = decode(reply, Protocol::kTcp);
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.error(), HasSubstr("message length 8"));
}

TEST(DecodeDiagMessages, DiagMessageTooShortForInetDiagMsgIsAnError) {
  Bytes reply = read_fixture("tcp4.bin");
  nlmsghdr header = header_at(reply, 0);
  header.nlmsg_len = NLMSG_LENGTH(sizeof(inet_diag_msg) - 4);
  set_header(reply, 0, header);
  const Result<DiagBatch> batch =
      decode_diag_messages(reply.data(), header.nlmsg_len, Protocol::kTcp);
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.error(), HasSubstr("truncated inet_diag_msg"));
}

TEST(DecodeDiagMessages, KernelErrorReplyCarriesTheErrno) {
  // The kernel's answer to bytecode its audit rejects.
  const Result<DiagBatch> batch = decode(read_fixture("einval.bin"), Protocol::kTcp, 105);
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.error(), HasSubstr("Invalid argument (errno 22)"));
}

// Found by the netlink fuzz target (tests/fuzz/netlink/crash-int-min-nlmsgerr): negating
// INT_MIN to get the errno was undefined behaviour.
TEST(DecodeDiagMessages, ErrorReplyWithStatusIntMinIsAnErrorWithoutUndefinedBehaviour) {
  Bytes reply = read_fixture("einval.bin");
  const std::int32_t status = std::numeric_limits<std::int32_t>::min();
  std::memcpy(reply.data() + NLMSG_HDRLEN, &status, sizeof status);
  const Result<DiagBatch> batch = decode(reply, Protocol::kTcp, 105);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error(), "netlink error reply: invalid status -2147483648");
}

TEST(DecodeDiagMessages, DoneWithNegativeStatusIsAnError) {
  Bytes reply = read_fixture("tcp6.bin");
  const std::size_t done = message_offsets(reply).back();
  ASSERT_EQ(header_at(reply, done).nlmsg_type, NLMSG_DONE);
  const int status = -EBUSY;
  std::memcpy(reply.data() + done + NLMSG_HDRLEN, &status, sizeof status);
  const Result<DiagBatch> batch = decode(reply, Protocol::kTcp);
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.error(), HasSubstr("(errno 16)"));
}

TEST(DecodeDiagMessages, FlagsAnInterruptedDump) {
  Bytes reply = read_fixture("tcp4.bin");
  nlmsghdr header = header_at(reply, 0);
  header.nlmsg_flags |= NLM_F_DUMP_INTR;
  set_header(reply, 0, header);
  const Result<DiagBatch> batch = decode(reply, Protocol::kTcp);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->interrupted);
  EXPECT_TRUE(batch->done);
  EXPECT_EQ(batch->records.size(), 4u);
}

TEST(DecodeDiagMessages, SkipsMessagesOfAnotherSequenceNumber) {
  const Bytes reply = read_fixture("tcp4.bin");
  const Result<DiagBatch> stale = decode(reply, Protocol::kTcp, 100);
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(stale->records.empty());
  EXPECT_FALSE(stale->done);
  // A late reply to an abandoned request, then ours.
  Bytes both = read_fixture("tcp6.bin");
  both.insert(both.end(), reply.begin(), reply.end());
  const Result<DiagBatch> batch = decode(both, Protocol::kTcp, 101);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->done);
  EXPECT_EQ(batch->records.size(), 4u);
}

TEST(DecodeDiagMessages, SkipsNoopAndUnknownStates) {
  Bytes reply = read_fixture("tcp4.bin");
  nlmsghdr header = header_at(reply, 0);
  header.nlmsg_type = NLMSG_NOOP;
  set_header(reply, 0, header);
  const std::size_t second = message_offsets(reply)[1];
  reply[second + NLMSG_HDRLEN + 1] = 13;  // idiag_state: TCP_BOUND_INACTIVE
  const Result<DiagBatch> batch = decode(reply, Protocol::kTcp);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->records.size(), 2u);
}

TEST(DecodeDiagMessages, EmptyInputIsAnEmptyUnfinishedBatch) {
  const Result<DiagBatch> batch = decode_diag_messages(nullptr, 0, Protocol::kTcp);
  ASSERT_TRUE(batch.ok());
  EXPECT_FALSE(batch->done);
  EXPECT_TRUE(batch->records.empty());
}

}  // namespace
}  // namespace port_exporter
