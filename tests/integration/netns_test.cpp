// SPDX-License-Identifier: Apache-2.0
// Network namespace discovery and the setns socket factory, on namespaces the test makes
// with `ip netns add` (deleted at the end of each test, also on failure).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "kernel/namespaces.h"
#include "kernel/netns_socket.h"
#include "netns_helpers.h"
#include "process.h"
#include "socket_helpers.h"

namespace port_exporter {
namespace {

using test::ChildProcess;
using test::TestNetns;

const NetworkNamespace* find_label(const std::vector<NetworkNamespace>& set,
                                   const std::string& label) {
  const auto it = std::find_if(set.begin(), set.end(),
                               [&](const NetworkNamespace& ns) { return ns.label == label; });
  return it == set.end() ? nullptr : &*it;
}

TEST(NetnsDiscoveryTest, FindsTheHostANamedNamespaceAndTheProcessesInIt) {
  TestNetns netns;
  ChildProcess sleeper({"/usr/sbin/ip", "netns", "exec", netns.name(), "sleep", "30"});
  ASSERT_TRUE(test::eventually([&] {
    auto set = discover_namespaces("/proc", "/run/netns");
    const NetworkNamespace* named = set ? find_label(*set, netns.name()) : nullptr;
    return named != nullptr && !named->pids.empty();
  }));
  const auto set = discover_namespaces("/proc", "/run/netns");
  ASSERT_TRUE(set.ok()) << set.error();
  const NetworkNamespace* host = find_label(*set, "host");
  ASSERT_NE(host, nullptr);
  EXPECT_TRUE(host->host);
  EXPECT_TRUE(std::binary_search(host->pids.begin(), host->pids.end(), ::getpid()));
  const NetworkNamespace* named = find_label(*set, netns.name());
  ASSERT_NE(named, nullptr);
  EXPECT_EQ(named->path, netns.path());
  EXPECT_EQ(named->id, netns_id_of(netns.path()).value());
  EXPECT_FALSE(named->host);
  EXPECT_EQ(std::count_if(set->begin(), set->end(),
                          [&](const NetworkNamespace& ns) { return ns.id == named->id; }),
            1);  // the named file and the process inside it: one namespace
}

TEST(NetnsDiscoveryTest, ADeletedNamespaceIsGoneFromTheNextDiscovery) {
  TestNetns netns;
  ASSERT_NE(find_label(discover_namespaces("/proc", "/run/netns").value(), netns.name()), nullptr);
  netns.remove();
  EXPECT_EQ(find_label(discover_namespaces("/proc", "/run/netns").value(), netns.name()), nullptr);
}

TEST(NetnsSocketTest, ASocketMadeInsideANamespaceListensThereOnly) {
  TestNetns netns;
  Result<int> fd = open_socket_in_netns(netns.path(), AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(fd.ok()) << fd.error();
  test::TestSocket listener(*fd);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  ASSERT_EQ(::bind(*fd, reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
  ASSERT_EQ(::listen(*fd, 1), 0);
  const std::string filter = "sport = :" + std::to_string(listener.local_port());
  EXPECT_EQ(test::count_ss("-t -l -4", filter, netns.name()), 1u);
  EXPECT_EQ(test::count_ss("-t -l -4", filter), 0u);  // the caller's thread stayed home
}

TEST(NetnsSocketTest, AMissingNamespaceFileIsAnErrorNamingIt) {
  const Result<int> fd = open_socket_in_netns("/run/netns/pe-no-such-ns", AF_INET, SOCK_DGRAM, 0);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error(), "open /run/netns/pe-no-such-ns: No such file or directory");
}

}  // namespace
}  // namespace port_exporter
