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

TEST(PolicyTest, AbsentFlagsEveryListener) {
  const auto v = evaluate_policy(policy(Expect::kAbsent), Protocol::kTcp, {{"sshd"}, {"nc"}});
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
  const auto v =
      evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp, {{"sshd"}, {"sshd"}});
  EXPECT_EQ(v.missing, 0u);
  EXPECT_EQ(v.unexpected, 0u);
}

TEST(PolicyTest, PresentFlagsADisallowedProcessEvenThoughThePortIsPresent) {
  const auto v =
      evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp, {{"sshd"}, {"nc"}});
  EXPECT_EQ(v.missing, 0u);
  EXPECT_EQ(v.unexpected, 1u);
}

TEST(PolicyTest, PresentNeverAllowsAnUnknownOwner) {
  const auto v = evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp, {{}});
  EXPECT_EQ(v.unexpected, 1u);
}

TEST(PolicyTest, PresentAllowsASharedSocketWhenAnyHolderIsAllowed) {
  // systemd socket activation: systemd and the service both hold the listener.
  const auto v = evaluate_policy(policy(Expect::kPresent, {"sshd"}), Protocol::kTcp,
                                 {{"systemd", "sshd"}, {"systemd"}});
  EXPECT_EQ(v.unexpected, 1u);  // the second socket is held by systemd alone
  EXPECT_EQ(v.missing, 0u);
}

TEST(PolicyTest, PresentWithoutAllowListAcceptsAnyProcess) {
  const auto v = evaluate_policy(policy(Expect::kPresent), Protocol::kUdp, {{"anything"}});
  EXPECT_EQ(v.unexpected, 0u);
  EXPECT_EQ(v.missing, 0u);
  EXPECT_EQ(v.protocol, Protocol::kUdp);
}

TEST(PolicyTest, AnyIsNeverUnexpectedNorMissing) {
  EXPECT_EQ(evaluate_policy(policy(Expect::kAny), Protocol::kTcp, {{"x"}}).unexpected, 0u);
  EXPECT_EQ(evaluate_policy(policy(Expect::kAny), Protocol::kTcp, {}).missing, 0u);
}

TEST(PolicyTest, VerdictCarriesPolicyIdentity) {
  const auto v = evaluate_policy(policy(Expect::kAbsent), Protocol::kTcp, {});
  EXPECT_EQ(v.port, 22);
  EXPECT_EQ(v.expect, Expect::kAbsent);
  EXPECT_EQ(v.description, "ssh");
}

}  // namespace
}  // namespace port_exporter
