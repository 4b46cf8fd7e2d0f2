// SPDX-License-Identifier: Apache-2.0
// Destroy notifications on real sockets: the subscription, its kernel filter and the
// reader thread count exactly the closes on watched ports, by kind and direction, in the
// host namespace and in a network namespace the test creates.
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "app/close_event_reader.h"
#include "kernel/destroy_subscription.h"
#include "socket_helpers.h"

namespace port_exporter {
namespace {

using test::open_listener;
using test::TestSocket;

std::unique_ptr<CloseEventReader> start_reader(const WatchSet& watch, bool kernel_filter = true) {
  std::vector<std::unique_ptr<DestroySubscription>> subscriptions;
  auto host = DestroySubscription::open("host");
  if (!host) throw std::runtime_error(host.error());
  subscriptions.push_back(std::move(host).value());
  CloseEventReader::Options options;
  options.kernel_filter = kernel_filter;
  auto reader = CloseEventReader::start(std::move(subscriptions), watch, options);
  if (!reader) throw std::runtime_error(reader.error());
  return std::move(reader).value();
}

// A port nothing uses right now, not watched by anyone else: the kernel's pick.
// A TCP port free now, found by binding a listener to port 0. Its close is a destroy
// notification like any other, built by a kernel worker that may run late on a busy host:
// wait for it here, so that it cannot land in the subscription the test opens next.
std::uint16_t free_tcp_port() {
  auto own_close = DestroySubscription::open("host");
  TestSocket s = open_listener(Protocol::kTcp, "127.0.0.1");
  const std::uint16_t port = s.local_port();
  if (!own_close || !(*own_close)->watch(WatchSet{{port}, {}}).ok()) {
    throw std::runtime_error("cannot subscribe to destroy notifications");
  }
  s.close();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const SocketRecord& r : (*own_close)->drain().closed) {
      if (r.local.port == port) return port;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("the close of port " + std::to_string(port) + " was never notified");
}

std::uint64_t listeners_closed(const CloseCounters& c, std::uint16_t port, Protocol p,
                               Family f = Family::kIpv4) {
  const auto it = c.listeners.find({port, p, f});
  return it == c.listeners.end() ? 0 : it->second;
}

std::uint64_t connections_closed(const CloseCounters& c, std::uint16_t port, Direction d) {
  const auto it = c.connections.find({port, Protocol::kTcp, Family::kIpv4, d});
  return it == c.connections.end() ? 0 : it->second;
}

// Polls until `done` holds (the reader runs on its own thread), then once more after a
// pause, so a late extra count would show.
CloseCounters settle(const CloseEventReader& reader,
                     const std::function<bool(const CloseCounters&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done(reader.counters()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return reader.counters();
}

void open_and_close_listener(std::uint16_t port, const std::string& address = "127.0.0.1") {
  TestSocket s = open_listener(Protocol::kTcp, address, port);
}

TEST(CloseEventsIntegrationTest, ThousandListenersClosedInATightLoopCountedExactly) {
  const std::uint16_t port = free_tcp_port();
  auto reader = start_reader(WatchSet{{port}, {}});
  for (int i = 0; i < 1000; ++i) open_and_close_listener(port);
  const CloseCounters c = settle(*reader, [port](const CloseCounters& now) {
    return listeners_closed(now, port, Protocol::kTcp) + now.events_lost >= 1000;
  });
  EXPECT_EQ(listeners_closed(c, port, Protocol::kTcp) + c.events_lost, 1000U);
  EXPECT_EQ(c.events_lost, 0U) << "the 8 MiB buffer should hold a burst of 1,000";
  EXPECT_TRUE(c.connections.empty());
  EXPECT_EQ(c.last_listener.at({port, Protocol::kTcp}).address, "127.0.0.1");
  EXPECT_EQ(c.last_listener.at({port, Protocol::kTcp}).netns, "host");
}

TEST(CloseEventsIntegrationTest, ThousandShortConnectionsCountedByDirection) {
  TestSocket listener = open_listener(Protocol::kTcp, "127.0.0.1");
  const std::uint16_t port = listener.local_port();
  auto reader = start_reader(WatchSet{{port}, {}});
  for (int i = 0; i < 1000; ++i) {
    test::TcpConnection conn = test::connect_tcp(listener, "127.0.0.1");
  }
  const CloseCounters c = settle(*reader, [port](const CloseCounters& now) {
    return connections_closed(now, port, Direction::kInbound) +
               connections_closed(now, port, Direction::kOutbound) + now.events_lost >=
           2000;
  });
  EXPECT_EQ(connections_closed(c, port, Direction::kInbound), 1000U);
  EXPECT_EQ(connections_closed(c, port, Direction::kOutbound), 1000U);
  EXPECT_EQ(c.events_lost, 0U);
  EXPECT_TRUE(c.listeners.empty());  // the listener is still open
}

class UnrelatedPorts : public ::testing::TestWithParam<bool> {};

TEST_P(UnrelatedPorts, CountNothingAndUdpIsItsOwnProtocol) {
  const std::uint16_t watched = free_tcp_port();
  auto reader = start_reader(WatchSet{{watched}, {}}, GetParam());
  TestSocket other = open_listener(Protocol::kTcp, "127.0.0.1");
  for (int i = 0; i < 100; ++i) test::TcpConnection conn = test::connect_tcp(other, "127.0.0.1");
  other.close();
  // The watched number, but UDP: not watched for UDP.
  open_listener(Protocol::kUdp, "127.0.0.1", watched).close();
  open_and_close_listener(watched);  // the marker that everything before was read
  const CloseCounters c = settle(*reader, [watched](const CloseCounters& now) {
    return listeners_closed(now, watched, Protocol::kTcp) >= 1;
  });
  EXPECT_EQ(listeners_closed(c, watched, Protocol::kTcp), 1U);
  EXPECT_EQ(c.listeners.size(), 1U);
  EXPECT_TRUE(c.connections.empty());
  EXPECT_EQ(c.events_lost, 0U);
}

INSTANTIATE_TEST_SUITE_P(CloseEventsIntegrationTest, UnrelatedPorts, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "KernelFilter" : "UserSpaceFilter";
                         });

TEST(CloseEventsIntegrationTest, AReloadThatAddsAPortStartsCountingIt) {
  const std::uint16_t first = free_tcp_port();
  TestSocket hold = open_listener(Protocol::kUdp, "127.0.0.1");  // keeps its port free of others
  const std::uint16_t added = hold.local_port();
  hold.close();
  auto reader = start_reader(WatchSet{{first}, {}});
  open_listener(Protocol::kUdp, "127.0.0.1", added).close();  // not watched yet
  open_and_close_listener(first);
  settle(*reader, [first](const CloseCounters& now) {
    return listeners_closed(now, first, Protocol::kTcp) >= 1;
  });
  reader->set_watch(WatchSet{{first}, {added}});
  open_listener(Protocol::kUdp, "::1", added, {true, false}).close();
  const CloseCounters c = settle(*reader, [added](const CloseCounters& now) {
    return listeners_closed(now, added, Protocol::kUdp, Family::kIpv6) >= 1;
  });
  EXPECT_EQ(listeners_closed(c, first, Protocol::kTcp), 1U);
  EXPECT_EQ(listeners_closed(c, added, Protocol::kUdp, Family::kIpv4), 0U);
  EXPECT_EQ(listeners_closed(c, added, Protocol::kUdp, Family::kIpv6), 1U);
}

// A thread in a network namespace of its own: it creates sockets there on request. The
// namespace lives as long as the thread or a socket created in it.
class NamespaceThread {
 public:
  NamespaceThread() {
    thread_ = std::thread([this] {
      if (unshare(CLONE_NEWNET) != 0) error_ = errno;
      std::unique_lock<std::mutex> lock(mutex_);
      ready_ = true;
      wake_.notify_all();
      for (;;) {
        wake_.wait(lock, [this] { return task_ || stop_; });
        if (stop_) return;
        task_();
        task_ = nullptr;
        wake_.notify_all();
      }
    });
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return ready_; });
    if (error_ != 0)
      throw std::runtime_error("unshare(CLONE_NEWNET): errno " + std::to_string(error_));
  }
  ~NamespaceThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void run(std::function<void()> task) {
    std::unique_lock<std::mutex> lock(mutex_);
    task_ = std::move(task);
    wake_.notify_all();
    wake_.wait(lock, [this] { return !task_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> task_;
  bool ready_ = false;
  bool stop_ = false;
  int error_ = 0;
  std::thread thread_;
};

TEST(CloseEventsIntegrationTest, ASubscriptionCreatedInsideANamespaceCountsItsClosesOnly) {
  const std::uint16_t port = free_tcp_port();  // free on the host too
  NamespaceThread netns;
  int fd = -1;
  netns.run([&fd] { fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG); });
  ASSERT_GE(fd, 0);
  auto inside = DestroySubscription::adopt(fd, "test-netns");
  ASSERT_TRUE(inside) << inside.error();
  auto reader = CloseEventReader::start({}, WatchSet{{port}, {port}}, {});
  ASSERT_TRUE(reader) << reader.error();
  (*reader)->add_subscription(std::move(inside).value());
  auto host = start_reader(WatchSet{{port}, {port}});  // hears only the host
  // The loopback interface of a new namespace is down: wildcard addresses only.
  netns.run([port] {
    for (int i = 0; i < 100; ++i) open_and_close_listener(port, "0.0.0.0");
    open_listener(Protocol::kUdp, "::", port).close();
  });
  const CloseCounters c = settle(**reader, [port](const CloseCounters& now) {
    return listeners_closed(now, port, Protocol::kTcp) >= 100 &&
           listeners_closed(now, port, Protocol::kUdp, Family::kIpv6) >= 1;
  });
  EXPECT_EQ(listeners_closed(c, port, Protocol::kTcp), 100U);
  EXPECT_EQ(listeners_closed(c, port, Protocol::kUdp, Family::kIpv6), 1U);
  EXPECT_EQ(c.last_listener.at({port, Protocol::kTcp}).netns, "test-netns");
  EXPECT_EQ(c.last_listener.at({port, Protocol::kTcp}).address, "0.0.0.0");
  EXPECT_EQ(c.last_listener.at({port, Protocol::kUdp}).address, "::");
  EXPECT_EQ(c.events_lost, 0U);
  const CloseCounters on_host = host->counters();
  EXPECT_TRUE(on_host.listeners.empty());
  EXPECT_EQ((*reader)->subscriptions(), (SubscriptionCounts{{"host", 1}}));
  (*reader)->remove_subscription("test-netns");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*reader)->subscriptions() != SubscriptionCounts{{"host", 0}} &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ((*reader)->subscriptions(), (SubscriptionCounts{{"host", 0}}));
}

TEST(CloseEventsIntegrationTest, KernelFilterAttachesAndIsReplacedOnEveryCall) {
  auto subscription = DestroySubscription::open("host");
  ASSERT_TRUE(subscription) << subscription.error();
  EXPECT_TRUE(*(*subscription)->watch(WatchSet{{2908}, {2908}}));
  EXPECT_TRUE(*(*subscription)->watch(WatchSet{{2908, 2909}, {}}));
  WatchSet too_many;
  for (std::uint16_t p = 1; p <= 2000; ++p) too_many.tcp.push_back(p);
  EXPECT_FALSE(*(*subscription)->watch(too_many));  // user space filters then
  EXPECT_FALSE(*(*subscription)->watch(WatchSet{{2908}, {}}, false));
}

// The kernel, not user space, drops the unrelated notifications: what reaches the socket.
TEST(CloseEventsIntegrationTest, KernelFilterPassesOnlyWatchedPorts) {
  const std::uint16_t watched = free_tcp_port();
  auto subscription = DestroySubscription::open("host");
  ASSERT_TRUE(subscription) << subscription.error();
  ASSERT_TRUE(*(*subscription)->watch(WatchSet{{watched}, {}}));
  for (int i = 0; i < 100; ++i) open_listener(Protocol::kUdp, "127.0.0.1").close();
  open_listener(Protocol::kUdp, "127.0.0.1", watched).close();  // UDP: not watched
  open_and_close_listener(watched);
  std::vector<SocketRecord> received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (received.empty() && std::chrono::steady_clock::now() < deadline) {
    const DestroySubscription::Batch batch = (*subscription)->drain();
    received.insert(received.end(), batch.closed.begin(), batch.closed.end());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const DestroySubscription::Batch rest = (*subscription)->drain();
  received.insert(received.end(), rest.closed.begin(), rest.closed.end());
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].protocol, Protocol::kTcp);
  EXPECT_EQ(received[0].local.port, watched);
  EXPECT_EQ(received[0].remote.port, 0);
}

// Without any filter, a subscription watching only TCP ports is in the TCP groups only: the
// kernel sends it no UDP notification at all (and builds none for UDP closes on its behalf).
TEST(CloseEventsIntegrationTest, OnlyTheGroupsOfWatchedProtocolsAreJoined) {
  const std::uint16_t watched = free_tcp_port();
  auto subscription = DestroySubscription::open("host");
  ASSERT_TRUE(subscription) << subscription.error();
  ASSERT_FALSE(*(*subscription)->watch(WatchSet{{watched}, {}}, false));
  for (int i = 0; i < 20; ++i) open_listener(Protocol::kUdp, "127.0.0.1").close();
  open_listener(Protocol::kUdp, "127.0.0.1", watched).close();
  open_and_close_listener(watched);
  std::vector<SocketRecord> received;
  const auto seen = [&received, watched] {
    return std::any_of(received.begin(), received.end(),
                       [watched](const SocketRecord& r) { return r.local.port == watched; });
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!seen() && std::chrono::steady_clock::now() < deadline) {
    const DestroySubscription::Batch batch = (*subscription)->drain();
    received.insert(received.end(), batch.closed.begin(), batch.closed.end());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(seen());
  for (const SocketRecord& r : received) EXPECT_EQ(r.protocol, Protocol::kTcp);
}

// A receive buffer too small for a burst: the kernel drops notifications (ENOBUFS), the
// subscription counts exactly how many from the socket's drop counter and keeps reading.
TEST(CloseEventsIntegrationTest, OverrunLossesAreCountedExactlyAndReadingGoesOn) {
  const std::uint16_t watched = free_tcp_port();
  auto subscription = DestroySubscription::open("host");
  ASSERT_TRUE(subscription) << subscription.error();
  ASSERT_TRUE(*(*subscription)->watch(WatchSet{{watched}, {}}));
  const int tiny = 4096;  // the kernel doubles it; a few notifications fit
  ASSERT_EQ(setsockopt((*subscription)->fd(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny), 0);
  for (int i = 0; i < 500; ++i) open_and_close_listener(watched);
  std::uint64_t received = 0;
  std::uint64_t lost = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (received + lost < 500 && std::chrono::steady_clock::now() < deadline) {
    const DestroySubscription::Batch batch = (*subscription)->drain();
    received += batch.closed.size();
    lost += batch.lost;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(received + lost, 500U);
  EXPECT_GT(lost, 0U) << "the buffer should have overflowed";
  EXPECT_GT(received, 0U);
  // After the overrun the subscription still hears new closes.
  open_and_close_listener(watched);
  std::uint64_t after = 0;
  const auto again = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (after == 0 && std::chrono::steady_clock::now() < again) {
    after += (*subscription)->drain().closed.size();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(after, 1U);
}

// The host namespace needs no privilege: nobody (uid 65534, no capabilities) subscribes,
// attaches the filter and receives its own listener's close.
TEST(CloseEventsIntegrationTest, AnUnprivilegedUserSubscribesAndFilters) {
  const std::uint16_t watched = free_tcp_port();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
    auto subscription = DestroySubscription::open("host");
    if (!subscription) _exit(11);
    const Result<bool> filtered = (*subscription)->watch(WatchSet{{watched}, {}});
    if (!filtered || !*filtered) _exit(12);
    open_and_close_listener(watched);
    for (int i = 0; i < 500; ++i) {
      for (const SocketRecord& r : (*subscription)->drain().closed) {
        if (r.local.port == watched && r.remote.port == 0) _exit(0);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    _exit(13);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setuid, 11: subscribe, 12: filter, 13: no event";
}

}  // namespace
}  // namespace port_exporter
