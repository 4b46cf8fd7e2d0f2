// SPDX-License-Identifier: Apache-2.0
// namespaces: all on real network namespaces (ip netns add, deleted at the end of each test
// even on failure): listeners and UDP sockets in every namespace counted exactly as `ss`
// run inside each namespace, summed; a deleted namespace loses its series and our socket.
#include "kernel/namespace_sweep.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "app/collect.h"
#include "kernel/netlink_source.h"
#include "netns_helpers.h"
#include "process.h"
#include "socket_helpers.h"
#include "ss_counts.h"

namespace port_exporter {
namespace {

using test::open_connection;
using test::open_listener;
using test::SocketOptions;
using test::TestNetns;
using test::TestSocket;

Config watching(std::uint16_t port, std::optional<NamespaceMode> scope) {
  Config config;
  PortPolicy p;
  p.port = port;
  p.namespaces = scope;
  config.ports.push_back(p);
  config.namespaces = NamespaceMode::kHost;
  return config;
}

// With a budget for all-states dumps that never runs out: the namespaces of other tests or
// containers on the machine must not delay ours (the budget has tests of its own below).
std::unique_ptr<NamespaceSweep> sweep() {
  auto host = NetlinkSource::open();
  if (!host) throw std::runtime_error(host.error());
  auto source = std::make_unique<NamespaceSweep>(std::move(host).value(), "/proc", "/run/netns");
  source->set_connections_budget(WalkBudget(/*share=*/1.0, std::chrono::hours(1)));
  return source;
}

Collection collect_once(const Config& config, NamespaceSweep& sweep) {
  OwnerResolver owners("/proc");
  auto collected = collect(config, sweep, owners);
  if (!collected) throw std::runtime_error(collected.error().message);
  return std::move(collected).value();
}

// A port free on the host for `protocol`: the tests open it only inside their namespaces.
std::uint16_t free_port(Protocol protocol = Protocol::kTcp) {
  const TestSocket probe = open_listener(protocol, "0.0.0.0");
  return probe.local_port();
}

// What a sweep of `port` must count: `ss` on the host and inside `ns`, summed.
test::SsCounts ss_on_host_and_in(std::uint16_t port, const TestNetns& ns) {
  return test::sum({test::count_with_ss({port}), test::count_with_ss({port}, ns.name())});
}

// Every kind of listener, and a connected UDP pair, on `port` in the calling thread's
// namespace.
struct ListenerSet {
  explicit ListenerSet(std::uint16_t port)
      : tcp4(open_listener(Protocol::kTcp, "0.0.0.0", port)),
        tcp6(open_listener(Protocol::kTcp, "::", port, SocketOptions{true, false})),
        udp4(open_listener(Protocol::kUdp, "127.0.0.1", port)),
        udp6(open_listener(Protocol::kUdp, "::1", port)),
        udp_client(open_connection(Protocol::kUdp, "127.0.0.1", port)) {}
  TestSocket tcp4, tcp6, udp4, udp6, udp_client;
};

// The listener and UDP counts (what every namespace is swept for), as ss gives them.
test::SsCounts swept_kinds(test::SsCounts counts) {
  for (auto it = counts.connections.begin(); it != counts.connections.end();) {
    it = std::get<1>(it->first) == Protocol::kTcp ? counts.connections.erase(it) : std::next(it);
  }
  return counts;
}

// Our sockets and sockstat files (what NamespaceSweep holds per namespace).
std::size_t namespace_fds() {
  std::size_t n = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (const dirent* e = readdir(dir)) {
    char target[256] = {};
    const std::string path = std::string("/proc/self/fd/") + e->d_name;
    if (readlink(path.c_str(), target, sizeof target - 1) <= 0) continue;
    const std::string link = target;
    if (link.rfind("socket:", 0) == 0 || link.find("/net/sockstat") != std::string::npos) ++n;
  }
  closedir(dir);
  return n;
}

TEST(NamespaceSweepTest, CountsEveryNamespaceAsSsInsideEachSummed) {
  TestNetns a, b;
  const std::uint16_t port = free_port();
  ListenerSet host(port);
  std::optional<ListenerSet> in_a, in_b;
  a.run_inside([&] { in_a.emplace(port); });
  b.run_inside([&] { in_b.emplace(port); });

  auto source = sweep();
  const Collection all = collect_once(watching(port, NamespaceMode::kAll), *source);
  const test::SsCounts expected =
      test::sum({test::count_with_ss({port}), swept_kinds(test::count_with_ss({port}, a.name())),
                 swept_kinds(test::count_with_ss({port}, b.name()))});
  const test::SsCounts got = test::counts_of(all.snapshot);
  EXPECT_EQ(got.listeners, expected.listeners) << test::describe(got) << "--\n"
                                               << test::describe(expected);
  EXPECT_EQ(got.connections, expected.connections) << test::describe(got) << "--\n"
                                                   << test::describe(expected);
  EXPECT_EQ(all.snapshot.listeners[0].count, 3u);  // tcp ipv4: host, a, b
  EXPECT_GE(all.namespaces.via_netlink, 2u);
  EXPECT_EQ(all.namespaces.via_procfs, 0u);
  // Owners are found across namespaces (socket inodes are global): this process.
  for (const std::string& label : {a.name(), b.name(), std::string("host")}) {
    EXPECT_EQ(std::count_if(
                  all.snapshot.listener_info.begin(), all.snapshot.listener_info.end(),
                  [&](const ListenerInfo& l) { return l.netns == label && l.pid == ::getpid(); }),
              4)
        << label;
  }

  // The same port scoped to the host counts the host's sockets only.
  const Collection host_only = collect_once(watching(port, NamespaceMode::kHost), *source);
  EXPECT_EQ(test::counts_of(host_only.snapshot).listeners, test::count_with_ss({port}).listeners);
}

TEST(NamespaceSweepTest, ADeletedNamespaceLosesItsSeriesAndOurDescriptors) {
  TestNetns gone;
  const std::uint16_t port = free_port();
  // A process inside holds the listener: the namespace lives as long as it (and we) do.
  test::ChildProcess holder({"/usr/sbin/ip", "netns", "exec", gone.name(), "python3", "-c",
                             "import socket, time\n"
                             "s = socket.socket(); s.bind(('0.0.0.0', " +
                                 std::to_string(port) +
                                 ")); s.listen()\n"
                                 "time.sleep(60)\n"});
  ASSERT_TRUE(test::eventually([&] {
    return test::count_ss("-t -l", "sport = :" + std::to_string(port), gone.name()) == 1;
  }));
  auto source = sweep();
  const Config config = watching(port, NamespaceMode::kAll);
  const std::size_t fds_before = namespace_fds();
  const Collection before = collect_once(config, *source);
  EXPECT_EQ(before.snapshot.listeners[0].count, 1u);
  ASSERT_EQ(before.snapshot.listener_info.size(), 1u);
  EXPECT_EQ(before.snapshot.listener_info[0].netns, gone.name());
  EXPECT_EQ(before.snapshot.listener_info[0].process, "python3");
  const std::size_t held = source->namespace_fds();
  EXPECT_GE(held, 3u);  // a socket and two sockstat files in `gone`
  EXPECT_EQ(namespace_fds(), fds_before + held);

  holder.signal(SIGKILL);
  holder.wait();
  gone.remove();
  const Collection after = collect_once(config, *source);
  EXPECT_EQ(after.snapshot.listeners[0].count, 0u);
  EXPECT_TRUE(after.snapshot.listener_info.empty());
  EXPECT_EQ(source->namespace_fds(), held - 3);  // its socket and files are closed
  EXPECT_EQ(namespace_fds(), fds_before + held - 3);
}

// TCP connections inside another namespace with a watched listener: dumped (all states) at
// the namespace's first sweep and every kConnectionsEvery-th after it, held in between; each
// full dump equals `ss -N <ns>`, summed with the host's.
TEST(NamespaceSweepTest, TcpConnectionsInOtherNamespacesAreDumpedAtALowerRateAndHeld) {
  TestNetns a;
  const std::uint16_t port = free_port();
  std::optional<TestSocket> listener, extra_listener;
  std::vector<test::TcpConnection> connections;
  a.run_inside([&] {
    listener.emplace(open_listener(Protocol::kTcp, "127.0.0.1", port));
    extra_listener.emplace(open_listener(Protocol::kTcp, "::1", port));
    connections.push_back(test::connect_tcp(*listener, "127.0.0.1"));
    connections.push_back(test::connect_tcp(*extra_listener, "::1"));
  });
  const Config config = watching(port, NamespaceMode::kAll);
  const auto expected = [&] { return ss_on_host_and_in(port, a); };

  auto source = sweep();
  const test::SsCounts first = expected();
  const test::SsCounts got = test::counts_of(collect_once(config, *source).snapshot);
  EXPECT_EQ(got.connections, first.connections) << test::describe(got) << "--\n"
                                                << test::describe(first);
  EXPECT_EQ(got.listeners, first.listeners);

  // One more connection and one closed by its client (FIN_WAIT2 / CLOSE_WAIT): held counts
  // until the next full dump, the listeners exact at every sweep.
  a.run_inside([&] { connections.push_back(test::connect_tcp(*listener, "127.0.0.1")); });
  connections.front().client.close();
  const test::SsCounts changed = expected();
  ASSERT_NE(changed.connections, first.connections);
  for (std::uint64_t sweep = 1; sweep < NamespaceSweep::kConnectionsEvery; ++sweep) {
    const test::SsCounts held = test::counts_of(collect_once(config, *source).snapshot);
    ASSERT_EQ(held.connections, first.connections) << "sweep " << sweep;
    ASSERT_EQ(held.listeners, changed.listeners) << "sweep " << sweep;
  }
  const test::SsCounts refreshed = test::counts_of(collect_once(config, *source).snapshot);
  EXPECT_EQ(refreshed.connections, expected().connections) << test::describe(refreshed) << "--\n"
                                                           << test::describe(expected());
}

// A watched listener that appears in a namespace gets its connections dumped in the same
// collection, not up to kConnectionsEvery collections later.
TEST(NamespaceSweepTest, AListenerAppearingBringsItsConnectionsAtOnce) {
  TestNetns a;
  const std::uint16_t port = free_port();
  const Config config = watching(port, NamespaceMode::kAll);
  auto source = sweep();
  const test::SsCounts empty = test::counts_of(collect_once(config, *source).snapshot);
  EXPECT_TRUE(empty.connections.empty()) << test::describe(empty);
  std::optional<TestSocket> listener;
  std::vector<test::TcpConnection> connections;
  a.run_inside([&] {
    listener.emplace(open_listener(Protocol::kTcp, "127.0.0.1", port));
    connections.push_back(test::connect_tcp(*listener, "127.0.0.1"));
  });
  const test::SsCounts expected = ss_on_host_and_in(port, a);
  ASSERT_FALSE(expected.connections.empty());
  const test::SsCounts got = test::counts_of(collect_once(config, *source).snapshot);
  EXPECT_EQ(got.connections, expected.connections) << test::describe(got) << "--\n"
                                                   << test::describe(expected);
  EXPECT_EQ(got.listeners, expected.listeners);
}

// A namespace with neither a watched listener nor connections is dumped only every
// kQuietEvery-th collection: a connection from the watched port to an unwatched listener
// there shows at that one, not at the kConnectionsEvery-th.
TEST(NamespaceSweepTest, AQuietNamespaceIsDumpedAtTheQuietRate) {
  TestNetns a;
  const std::uint16_t port = free_port();
  const Config config = watching(port, NamespaceMode::kAll);
  auto source = sweep();
  ASSERT_TRUE(test::counts_of(collect_once(config, *source).snapshot).connections.empty());
  std::optional<TestSocket> other, client, server;
  a.run_inside([&] {
    other.emplace(open_listener(Protocol::kTcp, "127.0.0.1"));
    client.emplace(test::open_socket(Protocol::kTcp, AF_INET));
    test::set_flag(*client, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
    const test::SocketAddress from = test::make_address("127.0.0.1", port);
    if (bind(client->fd(), from.get(), from.size) != 0) test::throw_errno("bind");
    const test::SocketAddress to = test::make_address("127.0.0.1", other->local_port());
    if (connect(client->fd(), to.get(), to.size) != 0) test::throw_errno("connect");
    server.emplace(test::accept_connection(*other));
  });
  const test::SsCounts expected = ss_on_host_and_in(port, a);
  ASSERT_FALSE(expected.connections.empty());
  for (std::uint64_t n = 2; n <= NamespaceSweep::kQuietEvery; ++n) {
    const test::SsCounts held = test::counts_of(collect_once(config, *source).snapshot);
    ASSERT_TRUE(held.connections.empty()) << "collection " << n << "\n" << test::describe(held);
  }
  const test::SsCounts got = test::counts_of(collect_once(config, *source).snapshot);
  EXPECT_EQ(got.connections, expected.connections) << test::describe(got) << "--\n"
                                                   << test::describe(expected);
}

// Past the CPU budget of the all-states dumps, connections are held (even when a listener
// appears) and port_exporter_namespace_connections_age_seconds says how old they are;
// listeners stay exact.
TEST(NamespaceSweepTest, PastTheBudgetConnectionsAreHeldAndTheirAgeShows) {
  TestNetns a;
  const std::uint16_t port = free_port();
  const Config config = watching(port, NamespaceMode::kAll);
  auto source = sweep();
  ASSERT_TRUE(test::counts_of(collect_once(config, *source).snapshot).connections.empty());
  source->set_connections_budget(WalkBudget(/*share=*/0, std::chrono::nanoseconds(0)));
  std::optional<TestSocket> listener;
  std::vector<test::TcpConnection> connections;
  a.run_inside([&] {
    listener.emplace(open_listener(Protocol::kTcp, "127.0.0.1", port));
    connections.push_back(test::connect_tcp(*listener, "127.0.0.1"));
  });
  const test::SsCounts expected = ss_on_host_and_in(port, a);
  usleep(200 * 1000);
  for (std::uint64_t n = 2; n <= NamespaceSweep::kConnectionsEvery + 1; ++n) {
    const test::SsCounts got = test::counts_of(collect_once(config, *source).snapshot);
    ASSERT_TRUE(got.connections.empty()) << "collection " << n << "\n" << test::describe(got);
    ASSERT_EQ(got.listeners, expected.listeners) << "collection " << n;
  }
  EXPECT_GE(source->swept_namespaces().connections_age_seconds, 0.2);
}

// When the budget allows one all-states dump, a namespace where a watched listener just
// appeared goes before one merely due: at collection kConnectionsEvery + 1, `b` (listener
// new) is dumped and `a` (listener since the start, due) waits for the next one.
TEST(NamespaceSweepTest, AnAppearedListenerIsDumpedBeforeANamespaceMerelyDue) {
  TestNetns a, b;
  const std::uint16_t port = free_port();
  std::optional<TestSocket> listener_a, listener_b;
  std::vector<test::TcpConnection> connections;
  a.run_inside([&] { listener_a.emplace(open_listener(Protocol::kTcp, "127.0.0.1", port)); });
  const Config config = watching(port, NamespaceMode::kAll);
  auto source = sweep();
  for (std::uint64_t n = 1; n <= NamespaceSweep::kConnectionsEvery; ++n) {
    ASSERT_TRUE(test::counts_of(collect_once(config, *source).snapshot).connections.empty());
  }
  a.run_inside([&] { connections.push_back(test::connect_tcp(*listener_a, "127.0.0.1")); });
  b.run_inside([&] {
    listener_b.emplace(open_listener(Protocol::kTcp, "127.0.0.1", port));
    connections.push_back(test::connect_tcp(*listener_b, "127.0.0.1"));
  });
  const test::SsCounts in_b = test::count_with_ss({port}, b.name());
  const test::SsCounts in_both = test::sum({in_b, test::count_with_ss({port}, a.name())});
  ASSERT_NE(in_b.connections, in_both.connections);
  source->set_connections_budget(WalkBudget(/*share=*/0, std::chrono::nanoseconds(1)));
  const test::SsCounts first = test::counts_of(collect_once(config, *source).snapshot);
  EXPECT_EQ(first.connections, in_b.connections) << test::describe(first);
  source->set_connections_budget(WalkBudget(/*share=*/0, std::chrono::nanoseconds(1)));
  const test::SsCounts second = test::counts_of(collect_once(config, *source).snapshot);
  EXPECT_EQ(second.connections, in_both.connections) << test::describe(second);
}

// A namespace without a TCP or UDP socket costs no dump: its socket counts
// (/proc/net/sockstat{,6} inside it) say so; a UDP socket bound there later is counted
// exactly at the next collection, while TCP (still none) stays skipped.
TEST(NamespaceSweepTest, ANamespaceWithoutSocketsIsNotDumped) {
  TestNetns a;
  const std::uint16_t port = free_port(Protocol::kUdp);
  const Config config = watching(port, NamespaceMode::kAll);
  auto source = sweep();
  collect_once(config, *source);  // opens every namespace's socket and counts
  ASSERT_GE(source->counted_namespaces(), 1u);
  const std::uint64_t before = source->dumps_skipped();
  collect_once(config, *source);
  EXPECT_GE(source->dumps_skipped(), before + 2);  // `a`: tcp and udp, at least
  std::optional<TestSocket> udp;
  a.run_inside([&] { udp.emplace(open_listener(Protocol::kUdp, "127.0.0.1", port)); });
  const test::SsCounts expected = ss_on_host_and_in(port, a);
  ASSERT_FALSE(expected.listeners.empty());
  const std::uint64_t skipped = source->dumps_skipped();
  const test::SsCounts got = test::counts_of(collect_once(config, *source).snapshot);
  EXPECT_EQ(got.listeners, expected.listeners) << test::describe(got);
  EXPECT_EQ(got.connections, expected.connections);
  EXPECT_GE(source->dumps_skipped(), skipped + 1);  // `a`: tcp only now
}

}  // namespace
}  // namespace port_exporter
