// SPDX-License-Identifier: Apache-2.0
#include "core/policy.h"

#include <gtest/gtest.h>

namespace port_exporter {
namespace {

PortPolicy policy(Expect expect, std::vector<std::string> allowed = {}) {
  PortPolicy p;
  p.port = 22;
  p.expect = expect;
  p.description = "ssh";
  p.allowed_processes = std::move(allowed);
  return p;
}

// One listener per name list, uid 0; each name one owning process (an empty list: the
// owner is unknown).
std::vector<ListeningSocket> listeners(const std::vector<std::vector<std::string>>& names) {
  std::vector<ListeningSocket> out;
  int pid = 100;
  for (const auto& list : names) {
    ListeningSocket l;
    for (const std::string& name : list) l.owners.push_back({pid++, name, "/usr/bin/" + name});
    out.push_back(std::move(l));
  }
  return out;
}

TEST(PolicyTest, AbsentFlagsEveryListener) {
  const auto v =
      evaluate_policy(policy(Expect::kAbsent), Protocol::kTcp, listeners({{"sshd"}, {"nc"}}));
  EXPECT_EQ(v.unexpected, 2u);
  EXPECT_EQ(v.missing, 0u);
}

TEST(PolicyTest, AbsentWithNothingListeningIsQuiet) {
  const auto v = evaluate_policy(policy(Expect::kAbsent), Protocol::kTcp, {});
  EXPECT_EQ(v.unexpected, 0u);
  EXPECT_EQ(v.missing, 0u);
}

TEST(PolicyTest, PresentWithNothingListeningIsMissing) {
  const auto v = evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp, {});
  EXPECT_EQ(v.missing, 1u);
  EXPECT_EQ(v.unexpected, 0u);
}

TEST(PolicyTest, PresentWithAllowedProcessIsQuiet) {
  const auto v = evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp,
                                 listeners({{"sshd"}, {"sshd"}}));
  EXPECT_EQ(v.missing, 0u);
  EXPECT_EQ(v.unexpected, 0u);
}

TEST(PolicyTest, PresentFlagsADisallowedProcessEvenThoughThePortIsPresent) {
  const auto v = evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp,
                                 listeners({{"sshd"}, {"nc"}}));
  EXPECT_EQ(v.missing, 0u);
  EXPECT_EQ(v.unexpected, 1u);
}

TEST(PolicyTest, PresentNeverAllowsAnUnknownOwner) {
  const auto v =
      evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp, listeners({{}}));
  EXPECT_EQ(v.unexpected, 1u);
}

TEST(PolicyTest, PresentAllowsASharedSocketWhenAnyHolderIsAllowed) {
  // systemd socket activation: systemd and the service both hold the listener.
  const auto v = evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp,
                                 listeners({{"systemd", "sshd"}, {"systemd"}}));
  EXPECT_EQ(v.unexpected, 1u);  // the second socket is held by systemd alone
  EXPECT_EQ(v.missing, 0u);
}

TEST(PolicyTest, PresentWithoutAllowListAcceptsAnyProcess) {
  const auto v =
      evaluate_policy(policy(Expect::kPresent), Protocol::kUdp, listeners({{"anything"}}));
  EXPECT_EQ(v.unexpected, 0u);
  EXPECT_EQ(v.missing, 0u);
  EXPECT_EQ(v.protocol, Protocol::kUdp);
}

TEST(PolicyTest, AnyIsNeverUnexpectedNorMissing) {
  EXPECT_EQ(evaluate_policy(policy(Expect::kAny), Protocol::kTcp, listeners({{"x"}})).unexpected,
            0u);
  EXPECT_EQ(evaluate_policy(policy(Expect::kAny), Protocol::kTcp, {}).missing, 0u);
}

TEST(PolicyTest, VerdictCarriesPolicyIdentity) {
  const auto v = evaluate_policy(policy(Expect::kAbsent), Protocol::kTcp, {});
  EXPECT_EQ(v.port, 22);
  EXPECT_EQ(v.expect, Expect::kAbsent);
  EXPECT_EQ(v.description, "ssh");
}

// ---- owner lists a name cannot fake

ListeningSocket held_by(std::uint32_t uid, std::vector<Owner> owners) {
  return ListeningSocket{22, Protocol::kTcp, uid, std::move(owners)};
}

TEST(PolicyTest, AllowedExecutablesRejectsACopyNamedLikeTheAllowedProcess) {
  PortPolicy p = policy(Expect::kPresent, {"sshd"});
  p.allowed_executables = {"/usr/sbin/sshd"};
  EXPECT_TRUE(listener_allowed(p, held_by(0, {{10, "sshd", "/usr/sbin/sshd"}})));
  EXPECT_FALSE(listener_allowed(p, held_by(0, {{11, "sshd", "/tmp/x/sshd"}})));
  EXPECT_FALSE(listener_allowed(p, held_by(0, {{12, "sshd", "/usr/sbin/sshd (deleted)"}})));
  EXPECT_FALSE(listener_allowed(p, held_by(0, {{13, "sshd", ""}})));  // exe unreadable
}

TEST(PolicyTest, EveryGivenListMustMatchTheSameProcess) {
  PortPolicy p = policy(Expect::kPresent, {"sshd"});
  p.allowed_executables = {"/usr/sbin/sshd", "/usr/local/sbin/sshd"};
  // Name from one holder, exe from another: not one process that matches both lists.
  EXPECT_FALSE(listener_allowed(
      p, held_by(0, {{1, "systemd", "/usr/sbin/sshd"}, {2, "sshd", "/usr/bin/nc.openbsd"}})));
  EXPECT_TRUE(listener_allowed(p, held_by(0, {{1, "systemd", "/usr/lib/systemd/systemd"},
                                              {2, "sshd", "/usr/local/sbin/sshd"}})));
}

TEST(PolicyTest, AllowedUidsMatchesTheSocketUid) {
  PortPolicy p = policy(Expect::kPresent);
  p.allowed_uids = {0, 101};
  EXPECT_TRUE(listener_allowed(p, held_by(101, {{1, "dnsmasq", "/usr/sbin/dnsmasq"}})));
  EXPECT_FALSE(listener_allowed(p, held_by(1000, {{1, "dnsmasq", "/usr/sbin/dnsmasq"}})));
}

TEST(PolicyTest, AnUnknownOwnerIsNeverAllowedByAnyList) {
  PortPolicy by_uid = policy(Expect::kPresent);
  by_uid.allowed_uids = {0};
  PortPolicy by_exe = policy(Expect::kPresent);
  by_exe.allowed_executables = {"/usr/sbin/sshd"};
  EXPECT_FALSE(listener_allowed(by_uid, held_by(0, {})));
  EXPECT_FALSE(listener_allowed(by_exe, held_by(0, {})));
  EXPECT_TRUE(listener_allowed(policy(Expect::kPresent), held_by(0, {})));  // no list
}

TEST(PolicyTest, ListsCombineInTheVerdict) {
  PortPolicy p = policy(Expect::kPresent, {"sshd"});
  p.allowed_executables = {"/usr/sbin/sshd"};
  p.allowed_uids = {0};
  const auto v = evaluate_policy(
      p, Protocol::kTcp,
      {held_by(0, {{1, "sshd", "/usr/sbin/sshd"}}), held_by(1000, {{2, "sshd", "/usr/sbin/sshd"}}),
       held_by(0, {{3, "sshd", "/home/u/sshd"}})});
  EXPECT_EQ(v.unexpected, 2u);
  EXPECT_EQ(v.missing, 0u);
}

}  // namespace
}  // namespace port_exporter

namespace port_exporter {
namespace {

TEST(AttemptsInScopeTest, HostScopedPortsKeepOnlyTheHostNamespacesCounts) {
  Config config;
  PortPolicy host_only;
  host_only.port = 2908;
  host_only.protocols = {Protocol::kTcp, Protocol::kUdp};
  PortPolicy everywhere;
  everywhere.port = 2909;
  everywhere.protocols = {Protocol::kTcp};
  everywhere.namespaces = NamespaceMode::kAll;
  config.ports = {host_only, everywhere};
  constexpr std::uint32_t kHost = 4026531840u;
  constexpr std::uint32_t kPod = 4026532001u;
  const std::vector<AttemptCount> counts = {{kHost, 2908, Protocol::kTcp, Family::kIpv4, 20},
                                            {kPod, 2908, Protocol::kTcp, Family::kIpv4, 4},
                                            {kPod, 2908, Protocol::kUdp, Family::kIpv6, 3},
                                            {kHost, 2909, Protocol::kTcp, Family::kIpv4, 1},
                                            {kPod, 2909, Protocol::kTcp, Family::kIpv4, 6},
                                            {kPod, 2909, Protocol::kUdp, Family::kIpv4, 9},
                                            {kHost, 7777, Protocol::kTcp, Family::kIpv4, 5}};
  EXPECT_EQ(attempts_in_scope(config, counts, kHost),
            (std::vector<AttemptCount>{{kHost, 2908, Protocol::kTcp, Family::kIpv4, 20},
                                       {kHost, 2909, Protocol::kTcp, Family::kIpv4, 1},
                                       {kPod, 2909, Protocol::kTcp, Family::kIpv4, 6}}));
  config.namespaces = NamespaceMode::kAll;  // the global value: 2908 is now everywhere too
  EXPECT_EQ(attempts_in_scope(config, counts, kHost).size(), 5u);
}

}  // namespace
}  // namespace port_exporter
