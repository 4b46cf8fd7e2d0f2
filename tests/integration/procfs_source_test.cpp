// SPDX-License-Identifier: Apache-2.0
// ProcfsSource and OwnerResolver on the real /proc, against NetlinkSource on the same
// sockets: both sources must see the same set.
#include "kernel/procfs_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

// A child process holding a TCP listener on 127.0.0.1, created under `create_uid` and kept
// under `run_uid` (setresuid after the socket: as a daemon that drops privileges). Killed
// when this goes out of scope, whatever the test's outcome.
class UidListener {
 public:
  UidListener(uid_t create_uid, uid_t run_uid) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::setresuid(create_uid, create_uid, 0) != 0) ::_exit(1);
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t length = sizeof address;
      if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
          ::listen(fd, 4) != 0 ||
          ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::_exit(2);
      }
      // Back to root (the saved uid), then for good to run_uid.
      if (::setresuid(0, 0, 0) != 0 || ::setresuid(run_uid, run_uid, run_uid) != 0) ::_exit(3);
      const std::uint16_t port = ntohs(address.sin_port);
      if (::write(fds[1], &port, sizeof port) != sizeof port) ::_exit(4);
      for (;;) ::pause();
    }
    ::close(fds[1]);
    if (pid_ > 0 && ::read(fds[0], &port_, sizeof port_) != sizeof port_) port_ = 0;
    ::close(fds[0]);
  }
  ~UidListener() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  UidListener(const UidListener&) = delete;
  UidListener& operator=(const UidListener&) = delete;

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }  // 0: the child failed (not root?)

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// The listener as sock_diag reports it, uid included.
SocketRecord listener_record(std::uint16_t port) {
  Result<std::unique_ptr<NetlinkSource>> netlink = NetlinkSource::open();
  EXPECT_TRUE(netlink.ok()) << netlink.error();
  if (!netlink.ok()) return {};
  const Result<std::vector<SocketRecord>> records = netlink.value()->dump(WatchSet{{port}, {}});
  EXPECT_TRUE(records.ok()) << records.error();
  if (!records.ok()) return {};
  for (const SocketRecord& r : *records) {
    if (is_listener(r)) return r;
  }
  ADD_FAILURE() << "no listener on " << port;
  return {};
}

// Uids no other process on a test machine runs as: the count of processes read is exact.
constexpr uid_t kListenerUid = 54321;
constexpr uid_t kDroppedUid = 54322;

TEST(OwnerResolverOnProc, ReadsOnlyTheProcessesOfTheListenersUidFirst) {
  const UidListener listener(kListenerUid, kListenerUid);
  ASSERT_NE(listener.port(), 0) << "the child could not take uid " << kListenerUid << " (root?)";
  const SocketRecord record = listener_record(listener.port());
  EXPECT_EQ(record.uid, kListenerUid);  // sock_diag's idiag_uid: the creator's
  OwnerResolver resolver("/proc");
  const Result<OwnerMap> owners = resolver.resolve_sockets({{record.inode, 0, record.uid}});
  ASSERT_TRUE(owners.ok()) << owners.error();
  ASSERT_EQ(owners->count(record.inode), 1u);
  ASSERT_EQ(owners->at(record.inode).size(), 1u);
  EXPECT_EQ(owners->at(record.inode)[0].pid, listener.pid());
  EXPECT_EQ(resolver.processes_scanned(), 1u);  // its own process, out of every one here
  EXPECT_EQ(resolver.full_walks(), 0u);
}

// A daemon that creates its listener as root and then runs as another user: the socket's
// uid (0) is not its process's, and it is still found, in the rest of the namespace.
TEST(OwnerResolverOnProc, AListenerWhoseProcessChangedUidIsFoundInTheRestOfItsNamespace) {
  const UidListener listener(0, kDroppedUid);
  ASSERT_NE(listener.port(), 0) << "the child could not take uid " << kDroppedUid << " (root?)";
  const SocketRecord record = listener_record(listener.port());
  EXPECT_EQ(record.uid, 0u);
  OwnerResolver resolver("/proc");
  const Result<OwnerMap> owners = resolver.resolve_sockets({{record.inode, 0, record.uid}});
  ASSERT_TRUE(owners.ok()) << owners.error();
  ASSERT_EQ(owners->count(record.inode), 1u);
  ASSERT_EQ(owners->at(record.inode).size(), 1u);
  EXPECT_EQ(owners->at(record.inode)[0].pid, listener.pid());
  EXPECT_EQ(resolver.full_walks(), 0u);
  EXPECT_GE(resolver.processes_scanned(), 2u);  // root's processes (this one) first
}

}  // namespace
}  // namespace port_exporter
