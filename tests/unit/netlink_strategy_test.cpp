// SPDX-License-Identifier: Apache-2.0
// NetlinkSource's strategy (probe, one TCPDIAG walk for both families, per-family fallback,
// retry of inconsistent replies, user-space filter) on conversations replayed through a
// NetlinkChannel: recorded from the kernel (tests/fixtures/netlink/session.bin) or scripted
// from recorded replies for the failures a kernel rarely gives on demand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>

#include "fixtures.h"
#include "kernel/diag_codec.h"
#include "kernel/inet_diag_filter.h"
#include "kernel/netlink_source.h"
#include "replay_channel.h"

namespace port_exporter {
namespace {

using test::Bytes;
using test::read_fixture_bytes;
using test::ReplayChannel;
using ::testing::HasSubstr;

// NLMSG_DONE with status 0: the reply to a probe that asks for no socket state.
Bytes done_message() {
  nlmsghdr header{};
  header.nlmsg_len = NLMSG_LENGTH(sizeof(int));
  header.nlmsg_type = NLMSG_DONE;
  header.nlmsg_flags = NLM_F_MULTI;
  Bytes bytes(header.nlmsg_len, 0);
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

// The two probes NetlinkSource::open() sends, answered.
void script_probes(ReplayChannel& channel) {
  channel.expect().reply(done_message(), true).expect().reply(done_message(), true);
}

std::uint16_t request_type(const Bytes& request) {
  nlmsghdr header;
  std::memcpy(&header, request.data(), sizeof header);
  return header.nlmsg_type;
}

std::uint8_t request_family(const Bytes& request) { return request[NLMSG_HDRLEN]; }

// Sets NLM_F_DUMP_INTR on the first message: the kernel's "the tables changed meanwhile".
Bytes interrupted(Bytes reply) {
  nlmsghdr header;
  std::memcpy(&header, reply.data(), sizeof header);
  header.nlmsg_flags |= NLM_F_DUMP_INTR;
  std::memcpy(reply.data(), &header, sizeof header);
  return reply;
}

std::vector<SocketRecord> decoded(const std::string& fixture, Protocol protocol) {
  const Bytes bytes = read_fixture_bytes("netlink/" + fixture);
  return decode_diag_messages(bytes.data(), bytes.size(), protocol).value().records;
}

// A source over `script` (all of it written beforehand); `channel` then points at the
// script inside the source, to read what was sent.
std::unique_ptr<NetlinkSource> open_over(ReplayChannel script, ReplayChannel*& channel) {
  auto owned = std::make_unique<ReplayChannel>(std::move(script));
  channel = owned.get();
  auto source = NetlinkSource::open(std::move(owned));
  EXPECT_TRUE(source.ok()) << source.error();
  return source ? std::move(source).value() : nullptr;
}

// Ports 49477 (tcp_port) and 46459 (dual-stack) of sockets_manifest.txt: what tcp4.bin and
// tcp6.bin were filtered on.
const WatchSet kFixtureTcp{{46459, 49477}, {}};

std::map<std::string, std::string> manifest_fields(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    for (std::string word; words >> word;) {
      const auto eq = word.find('=');
      fields[name.find('=') == std::string::npos ? name + "." + word.substr(0, eq)
                                                 : word.substr(0, eq)] = word.substr(eq + 1);
    }
    if (const auto eq = name.find('='); eq != std::string::npos) {
      fields[name.substr(0, eq)] = name.substr(eq + 1);
    }
  }
  return fields;
}

TEST(NetlinkStrategyTest, ReplaysTheRecordedSessionWithTheRequestsProductionSends) {
  ReplayChannel* channel = nullptr;
  const std::unique_ptr<NetlinkSource> source =
      open_over(ReplayChannel::from_file(test::fixture_path("netlink/session.bin")), channel);
  ASSERT_NE(source, nullptr);
  const auto m = manifest_fields(test::read_fixture_text("netlink/session_manifest.txt"));
  const auto port = [&m](const std::string& key) {
    return static_cast<std::uint16_t>(std::stoi(m.at(key)));
  };
  const std::uint16_t t = port("tcp_port"), d = port("dual_stack_port");
  const std::uint16_t u = port("udp_port"), r = port("reuseport_port");
  const Result<std::vector<SocketRecord>> records =
      source->dump(WatchSet{{std::min(t, d), std::max(t, d)}, {std::min(u, r), std::max(u, r)}});
  ASSERT_TRUE(records.ok()) << records.error();
  EXPECT_THAT(channel->mismatches(), ::testing::IsEmpty());
  EXPECT_TRUE(channel->finished());
  // Two probes, one TCPDIAG walk for both TCP families, a UDP dump per family.
  ASSERT_EQ(channel->sent().size(), 5u);
  EXPECT_EQ(request_type(channel->sent()[2]), TCPDIAG_GETSOCK);
  EXPECT_EQ(request_family(channel->sent()[2]), AF_UNSPEC);
  EXPECT_EQ(request_type(channel->sent()[3]), SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(request_family(channel->sent()[4]), AF_INET6);
  // 9 TCP sockets (listeners, both ends of three connections), 4 UDP and 40 SO_REUSEPORT.
  EXPECT_EQ(records->size(), 53u);
  for (const char* name :
       {"tcp4_listener", "tcp6_listener", "tcp4_client", "tcp4_server", "tcp6_client",
        "tcp6_server", "dual_listener", "mapped_client", "mapped_server", "udp4_bound",
        "udp6_bound", "udp4_conn", "udp6_conn", "reuse[0]"}) {
    const std::uint64_t inode = std::stoull(m.at(std::string(name) + ".inode"));
    EXPECT_EQ(std::count_if(records->begin(), records->end(),
                            [inode](const SocketRecord& s) { return s.inode == inode; }),
              1)
        << name;
  }
}

TEST(NetlinkStrategyTest, FallsBackToPerFamilyDumpsWhenTheTcpdiagWalkIsRefused) {
  ReplayChannel script;
  script_probes(script);
  script.expect().reply(read_fixture_bytes("netlink/einval.bin"), true);
  script.expect().reply(read_fixture_bytes("netlink/tcp4.bin"), true);
  script.expect().reply(read_fixture_bytes("netlink/tcp6.bin"), true);
  ReplayChannel* channel = nullptr;
  const std::unique_ptr<NetlinkSource> source = open_over(std::move(script), channel);
  ASSERT_NE(source, nullptr);

  const Result<std::vector<SocketRecord>> records = source->dump(kFixtureTcp);
  ASSERT_TRUE(records.ok()) << records.error();
  EXPECT_THAT(channel->mismatches(), ::testing::IsEmpty());
  ASSERT_EQ(channel->sent().size(), 5u);
  EXPECT_EQ(request_type(channel->sent()[2]), TCPDIAG_GETSOCK);
  EXPECT_EQ(request_type(channel->sent()[3]), SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(request_family(channel->sent()[3]), AF_INET);
  EXPECT_EQ(request_family(channel->sent()[4]), AF_INET6);
  std::vector<SocketRecord> expected = decoded("tcp4.bin", Protocol::kTcp);
  for (const SocketRecord& s : decoded("tcp6.bin", Protocol::kTcp)) expected.push_back(s);
  EXPECT_EQ(*records, expected);
  EXPECT_EQ(channel->resets(), 1);  // the refused request's channel state is dropped
}

TEST(NetlinkStrategyTest, RedoesADumpInterruptedByChangingTables) {
  ReplayChannel script;
  script_probes(script);
  // UDP only: the IPv4 dump, then the IPv6 one, interrupted once.
  script.expect().reply(read_fixture_bytes("netlink/udp4.bin"), true);
  script.expect().reply(interrupted(read_fixture_bytes("netlink/udp6.bin")), true);
  script.expect().reply(read_fixture_bytes("netlink/udp6.bin"), true);
  ReplayChannel* channel = nullptr;
  const std::unique_ptr<NetlinkSource> source = open_over(std::move(script), channel);
  ASSERT_NE(source, nullptr);

  const Result<std::vector<SocketRecord>> records = source->dump(WatchSet{{}, {37338, 48839}});
  ASSERT_TRUE(records.ok()) << records.error();
  EXPECT_THAT(channel->mismatches(), ::testing::IsEmpty());
  EXPECT_EQ(records->size(), decoded("udp6.bin", Protocol::kUdp).size() +
                                 decoded("udp4.bin", Protocol::kUdp).size());
}

TEST(NetlinkStrategyTest, RedoesADumpAfterTheKernelDroppedPartOfTheReply) {
  ReplayChannel script;
  script_probes(script);
  script.expect().fail(ENOBUFS);
  script.expect().reply(read_fixture_bytes("netlink/einval.bin"), true);  // no TCPDIAG walk
  script.expect().reply(read_fixture_bytes("netlink/tcp4.bin"), true);
  script.expect().reply(read_fixture_bytes("netlink/tcp6.bin"), true);
  ReplayChannel* channel = nullptr;
  const std::unique_ptr<NetlinkSource> source = open_over(std::move(script), channel);
  ASSERT_NE(source, nullptr);

  const Result<std::vector<SocketRecord>> records = source->dump(kFixtureTcp);
  ASSERT_TRUE(records.ok()) << records.error();
  EXPECT_THAT(channel->mismatches(), ::testing::IsEmpty());
  EXPECT_EQ(channel->sent().size(), 6u);  // probes, TCPDIAG twice, then per family
  EXPECT_EQ(request_type(channel->sent()[3]), TCPDIAG_GETSOCK);
}

TEST(NetlinkStrategyTest, GivesUpAfterThreeInconsistentRepliesInARow) {
  ReplayChannel script;
  script_probes(script);
  // The IPv4 dump succeeds; the IPv6 one never becomes consistent.
  script.expect().reply(read_fixture_bytes("netlink/udp4.bin"), true);
  for (int i = 0; i < 3; ++i) {
    script.expect().reply(interrupted(read_fixture_bytes("netlink/udp6.bin")), true);
  }
  ReplayChannel* channel = nullptr;
  const std::unique_ptr<NetlinkSource> source = open_over(std::move(script), channel);
  ASSERT_NE(source, nullptr);
  const Result<std::vector<SocketRecord>> records = source->dump(WatchSet{{}, {37338}});
  ASSERT_FALSE(records.ok());
  EXPECT_THAT(records.error(), HasSubstr("sock_diag udp/ipv6 dump: interrupted 3 times in a row"));
  EXPECT_TRUE(channel->finished());
}

TEST(NetlinkStrategyTest, OpenFailsWhenTheProbeIsRefused) {
  ReplayChannel script;
  script.expect().reply(read_fixture_bytes("netlink/einval.bin"), true);
  auto source = NetlinkSource::open(std::make_unique<ReplayChannel>(std::move(script)));
  ASSERT_FALSE(source.ok());
  EXPECT_THAT(source.error(), HasSubstr("netlink sock_diag unavailable"));
  EXPECT_THAT(source.error(), HasSubstr("Invalid argument"));
}

TEST(NetlinkStrategyTest, FiltersInUserSpaceWhenThePortsAreTooScatteredForTheKernel) {
  ReplayChannel script;
  script_probes(script);
  script.expect().reply(read_fixture_bytes("netlink/tcp4.bin"), true);  // as if unfiltered
  ReplayChannel* channel = nullptr;
  const std::unique_ptr<NetlinkSource> source = open_over(std::move(script), channel);
  ASSERT_NE(source, nullptr);
  WatchSet scattered;  // 200 runs of one port each, the fixture's dual-stack port among them
  for (std::uint16_t p = 1000; p < 1400; p += 2) scattered.tcp.push_back(p);
  scattered.tcp.push_back(46459);
  ASSERT_FALSE(filter_in_kernel(scattered.tcp));

  const Result<std::vector<SocketRecord>> records = source->dump(scattered);
  ASSERT_TRUE(records.ok()) << records.error();
  // No bytecode attribute: the request is the header and inet_diag_req alone.
  EXPECT_EQ(channel->sent()[2].size(), NLMSG_LENGTH(sizeof(inet_diag_req)));
  // tcp4.bin holds sockets on 49477 (not watched here) and the IPv4 client of 46459.
  const std::vector<SocketRecord> all = decoded("tcp4.bin", Protocol::kTcp);
  const auto on_46459 = std::count_if(all.begin(), all.end(), [](const SocketRecord& s) {
    return s.local.port == 46459 || s.remote.port == 46459;
  });
  EXPECT_EQ(static_cast<long>(records->size()), on_46459);
  EXPECT_LT(records->size(), all.size());
}

}  // namespace
}  // namespace port_exporter
