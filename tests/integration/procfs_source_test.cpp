// SPDX-License-Identifier: Apache-2.0
// ProcfsSource and OwnerResolver on the real /proc, against NetlinkSource on the same
// sockets: both sources must see the same set.
#include "kernel/procfs_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <tuple>

#include "kernel/netlink_source.h"
#include "kernel/owners.h"
#include "process.h"
#include "socket_helpers.h"

namespace port_exporter {
namespace {

using test::own_comm;

// What both sources must agree on (uid too: the test runs as one user).
using Identity = std::tuple<Protocol, Family, TcpState, std::string, std::uint16_t, std::string,
                            std::uint16_t, std::uint64_t, std::uint32_t>;

std::vector<Identity> identities(const std::vector<SocketRecord>& records) {
  std::vector<Identity> out;
  for (const SocketRecord& r : records) {
    out.emplace_back(r.protocol, r.family, r.state, format_address(r.family, r.local.address),
                     r.local.port, format_address(r.family, r.remote.address), r.remote.port,
                     r.inode, r.uid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ProcfsSourceOnProc, SeesTheSameSocketsAsNetlink) {
  const test::SocketMix mix = test::open_socket_mix();
  Result<std::unique_ptr<NetlinkSource>> netlink = NetlinkSource::open();
  ASSERT_TRUE(netlink.ok()) << netlink.error();
  ProcfsSource procfs("/proc");
  const Result<std::vector<SocketRecord>> from_netlink = netlink.value()->dump(mix.watch_set());
  const Result<std::vector<SocketRecord>> from_procfs = procfs.dump(mix.watch_set());
  ASSERT_TRUE(from_netlink.ok()) << from_netlink.error();
  ASSERT_TRUE(from_procfs.ok()) << from_procfs.error();
  EXPECT_GE(from_procfs->size(), 22u);
  EXPECT_EQ(identities(*from_procfs), identities(*from_netlink));
}

TEST(ProcfsSourceOnProc, KeepsOnlyWatchedPorts) {
  const test::SocketMix mix = test::open_socket_mix();
  const Result<std::vector<SocketRecord>> records = ProcfsSource("/proc").dump({{}, mix.udp_ports});
  ASSERT_TRUE(records.ok()) << records.error();
  for (const SocketRecord& r : *records) {
    EXPECT_EQ(r.protocol, Protocol::kUdp);
    EXPECT_TRUE(std::count(mix.udp_ports.begin(), mix.udp_ports.end(), r.local.port) +
                    std::count(mix.udp_ports.begin(), mix.udp_ports.end(), r.remote.port) >
                0);
    EXPECT_NE(r.inode, mix.unwatched_udp_bound.inode());
  }
}

TEST(OwnerResolverOnProc, FindsThisProcessAsOwnerOfItsSockets) {
  const test::TestSocket listener = test::open_listener(Protocol::kTcp, "127.0.0.1");
  const test::TestSocket bound = test::open_listener(Protocol::kUdp, "::");
  OwnerResolver resolver("/proc");
  const Result<OwnerMap> owners = resolver.resolve({listener.inode(), bound.inode()});
  ASSERT_TRUE(owners.ok()) << owners.error();
  ASSERT_EQ(owners->size(), 2u);
  for (const auto& [inode, holders] : *owners) {
    ASSERT_EQ(holders.size(), 1u) << inode;
    EXPECT_EQ(holders[0].pid, getpid()) << inode;
    EXPECT_EQ(holders[0].process, own_comm()) << inode;
  }
  EXPECT_EQ(resolver.walks(), 1u);
  ASSERT_TRUE(resolver.resolve({bound.inode()}).ok());
  EXPECT_EQ(resolver.walks(), 1u);
}

TEST(OwnerResolverOnProc, ResolvesTheListenersNetlinkReports) {
  const test::SocketMix mix = test::open_socket_mix();
  Result<std::unique_ptr<NetlinkSource>> netlink = NetlinkSource::open();
  ASSERT_TRUE(netlink.ok()) << netlink.error();
  const Result<std::vector<SocketRecord>> records = netlink.value()->dump(mix.watch_set());
  ASSERT_TRUE(records.ok()) << records.error();
  std::vector<std::uint64_t> listeners;
  for (const SocketRecord& r : *records) {
    if (is_listener(r)) listeners.push_back(r.inode);
  }
  ASSERT_EQ(listeners.size(), 12u);
  const Result<OwnerMap> owners = OwnerResolver("/proc").resolve(listeners);
  ASSERT_TRUE(owners.ok()) << owners.error();
  EXPECT_EQ(owners->size(), listeners.size());
  for (const auto& [inode, holders] : *owners) {
    ASSERT_EQ(holders.size(), 1u) << inode;
    EXPECT_EQ(holders[0].pid, getpid()) << inode;
  }
}

}  // namespace
}  // namespace port_exporter
