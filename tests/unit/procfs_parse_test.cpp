// SPDX-License-Identifier: Apache-2.0
// /proc/net parsing and ProcfsSource on /proc/net files recorded from real sockets, at the
// same moment as the netlink fixtures (tests/fixtures/README.md, sockets_manifest.txt).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernel/diag_codec.h"
#include "kernel/procfs_source.h"
#include "records.h"

namespace port_exporter {
namespace {

using test::describe;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kProcfs = std::string(FIXTURES_DIR) + "/procfs";
// The ports the fixtures' sockets were opened on (sockets_manifest.txt).
const WatchSet kFixtureWatch{{46459, 49477}, {37338, 48839}};

std::vector<SocketRecord> parse_fixture(const std::string& name, Protocol protocol, Family family) {
  std::ifstream in(kProcfs + "/net/" + name);
  EXPECT_TRUE(in) << name;
  Result<std::vector<SocketRecord>> records = parse_proc_net(in, protocol, family);
  EXPECT_TRUE(records.ok()) << records.error();
  return records.ok() ? records.value() : std::vector<SocketRecord>{};
}

Result<std::vector<SocketRecord>> parse_text(const std::string& text, Protocol protocol,
                                             Family family) {
  std::istringstream in(text);
  return parse_proc_net(in, protocol, family);
}

// A scratch procfs root with the given files copied from the fixture, removed afterwards.
class ScratchProcfs {
 public:
  ScratchProcfs() {
    char pattern[] = "/tmp/procfs_parse_test.XXXXXX";
    root_ = mkdtemp(pattern);
    fs::create_directories(root_ / "net");
  }
  ~ScratchProcfs() { fs::remove_all(root_); }
  void copy(const std::string& name) {
    fs::copy_file(kProcfs + "/net/" + name, root_ / "net" / name);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / "net" / name) << text;
  }
  std::string root() const { return root_.string(); }

 private:
  fs::path root_;
};

const char kUdpHeader[] =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops\n";

TEST(ParseProcNet, ParsesIpv4TcpListenersConnectionsAndTimeWait) {
  EXPECT_THAT(
      describe(parse_fixture("tcp", Protocol::kTcp, Family::kIpv4)),
      ElementsAre("tcp ipv4 established 127.0.0.1:34312 -> 127.0.0.1:46459 inode 35044 uid 0",
                  "tcp ipv4 established 127.0.0.1:49477 -> 127.0.0.1:59466 inode 35040 uid 0",
                  "tcp ipv4 established 127.0.0.1:59466 -> 127.0.0.1:49477 inode 35039 uid 0",
                  "tcp ipv4 listen 0.0.0.0:2024 -> 0.0.0.0:0 inode 1145 uid 0",
                  "tcp ipv4 listen 0.0.0.0:49477 -> 0.0.0.0:0 inode 35037 uid 0",
                  "tcp ipv4 time_wait 127.0.0.1:51843 -> 127.0.0.1:47096 inode 0 uid 0"));
}

TEST(ParseProcNet, ParsesIpv6WordsIntoNetworkOrderIncludingV4Mapped) {
  EXPECT_THAT(
      describe(parse_fixture("tcp6", Protocol::kTcp, Family::kIpv6)),
      ElementsAre(
          "tcp ipv6 established ::1:38700 -> ::1:49477 inode 35041 uid 0",
          "tcp ipv6 established ::1:49477 -> ::1:38700 inode 35042 uid 0",
          "tcp ipv6 established ::ffff:127.0.0.1:46459 -> ::ffff:127.0.0.1:34312 inode "
          "35045 uid 0",
          "tcp ipv6 listen :::46459 -> :::0 inode 35043 uid 0",
          "tcp ipv6 listen :::49477 -> :::0 inode 35038 uid 0",
          "tcp ipv6 time_wait ::1:51843 -> ::1:43402 inode 0 uid 0",
          "tcp ipv6 time_wait ::ffff:127.0.0.1:40991 -> ::ffff:127.0.0.1:39664 inode 0 uid 0"));
}

TEST(ParseProcNet, ParsesUdpBoundAndConnected) {
  EXPECT_THAT(describe(parse_fixture("udp6", Protocol::kUdp, Family::kIpv6)),
              ElementsAre("udp ipv6 close :::37338 -> :::0 inode 35047 uid 0",
                          "udp ipv6 established ::1:33943 -> ::1:37338 inode 35049 uid 0"));
  EXPECT_EQ(parse_fixture("udp", Protocol::kUdp, Family::kIpv4).size(), 42u);
}

TEST(ParseProcNet, AgreesWithTheNetlinkRepliesRecordedAtTheSameTime) {
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    for (const Family family : {Family::kIpv4, Family::kIpv6}) {
      const std::string name =
          std::string(to_string(protocol)) + (family == Family::kIpv6 ? "6" : "");
      std::vector<SocketRecord> procfs;
      for (const SocketRecord& r : parse_fixture(name, protocol, family)) {
        const std::vector<std::uint16_t>& ports = kFixtureWatch.ports(protocol);
        if (std::count(ports.begin(), ports.end(), r.local.port) +
                std::count(ports.begin(), ports.end(), r.remote.port) >
            0) {
          procfs.push_back(r);
        }
      }
      std::ifstream in(std::string(FIXTURES_DIR) + "/netlink/" + std::string(to_string(protocol)) +
                           (family == Family::kIpv6 ? "6" : "4") + ".bin",
                       std::ios::binary);
      const std::vector<std::uint8_t> reply(std::istreambuf_iterator<char>(in), {});
      const Result<DiagBatch> netlink = decode_diag_messages(reply.data(), reply.size(), protocol);
      ASSERT_TRUE(netlink.ok()) << netlink.error();
      EXPECT_EQ(describe(procfs), describe(netlink->records)) << name;
    }
  }
}

TEST(ParseProcNet, HeaderAndBlankLinesGiveNothing) {
  const Result<std::vector<SocketRecord>> records =
      parse_text(std::string(kUdpHeader) + "\n\n", Protocol::kUdp, Family::kIpv4);
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

TEST(ParseProcNet, MalformedLineIsAnErrorWithItsNumber) {
  const std::string good =
      " 6603: 00000000:91DA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0  "
      "      0 35046 2 000000008450456c 0\n";
  for (const std::string bad :
       {" 1: 0000000:91DA 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2\n",
        " 1: 00000000:91DA 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0\n",
        " 1: 00000000:91DA 00000000:0000 xx 00000000:00000000 00:00000000 00000000 0 0 1 2\n",
        " 1: 00000000:91DA 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1x 2\n",
        " 1: 00000000:1FFFF 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2\n"}) {
    const Result<std::vector<SocketRecord>> records =
        parse_text(kUdpHeader + good + bad, Protocol::kUdp, Family::kIpv4);
    ASSERT_FALSE(records.ok()) << bad;
    EXPECT_EQ(records.error(), "line 3: malformed socket line");
  }
}

TEST(ParseProcNet, SkipsUnknownStates) {
  const Result<std::vector<SocketRecord>> records = parse_text(
      std::string(kUdpHeader) +
          " 1: 00000000:91DA 00000000:0000 0D 00000000:00000000 00:00000000 00000000 0 0 1 2\n",
      Protocol::kUdp, Family::kIpv4);
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

TEST(ProcfsSource, ReturnsTheWatchedPortsOfEveryFile) {
  ProcfsSource source(kProcfs);
  EXPECT_EQ(source.name(), "procfs");
  const Result<std::vector<SocketRecord>> records = source.dump(kFixtureWatch);
  ASSERT_TRUE(records.ok()) << records.error();
  EXPECT_EQ(records->size(), 4u + 5u + 42u + 2u);
  for (const SocketRecord& r : *records) {
    const std::vector<std::uint16_t>& ports = kFixtureWatch.ports(r.protocol);
    EXPECT_TRUE(std::count(ports.begin(), ports.end(), r.local.port) +
                    std::count(ports.begin(), ports.end(), r.remote.port) >
                0);
  }
}

TEST(ProcfsSource, MissingIpv6FilesSkipThatFamily) {
  ScratchProcfs procfs;
  procfs.copy("tcp");
  procfs.copy("udp");
  const Result<std::vector<SocketRecord>> records = ProcfsSource(procfs.root()).dump(kFixtureWatch);
  ASSERT_TRUE(records.ok()) << records.error();
  EXPECT_EQ(records->size(), 4u + 42u);
}

TEST(ProcfsSource, ReadsOnlyProtocolsWithWatchedPorts) {
  ScratchProcfs procfs;
  procfs.copy("tcp");
  procfs.write("udp", std::string(kUdpHeader) + "garbage\n");
  const Result<std::vector<SocketRecord>> tcp = ProcfsSource(procfs.root()).dump({{49477}, {}});
  ASSERT_TRUE(tcp.ok()) << tcp.error();
  EXPECT_EQ(tcp->size(), 3u);
  const Result<std::vector<SocketRecord>> udp = ProcfsSource(procfs.root()).dump({{}, {37338}});
  ASSERT_FALSE(udp.ok());
  EXPECT_EQ(udp.error(), procfs.root() + "/net/udp: line 2: malformed socket line");
}

TEST(ProcfsSource, UnreadableRootIsAnError) {
  const Result<std::vector<SocketRecord>> records =
      ProcfsSource("/nonexistent/proc").dump(kFixtureWatch);
  ASSERT_FALSE(records.ok());
  EXPECT_THAT(records.error(), HasSubstr("/nonexistent/proc/net"));
}

}  // namespace
}  // namespace port_exporter
