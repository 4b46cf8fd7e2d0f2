// SPDX-License-Identifier: Apache-2.0
// The namespace set assembled from what /proc/<pid>/ns/net and /run/netns showed.
#include "kernel/namespaces.h"

#include <gtest/gtest.h>

namespace port_exporter {
namespace {

constexpr NetnsId kHost{4, 4026531833};
constexpr NetnsId kPod{4, 4026532301};
constexpr NetnsId kNamed{4, 4026532400};
constexpr NetnsId kEmptyNamed{4, 4026532500};

TEST(NamespacesTest, OneEntryPerNamespaceWithItsProcessesAndLabels) {
  const auto set = assemble_namespaces(kHost, {{1, kHost}, {900, kPod}, {901, kPod}, {40, kHost}},
                                       {}, "/proc", "/run/netns");
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].label, "host");
  EXPECT_TRUE(set[0].host);
  EXPECT_EQ(set[0].pids, (std::vector<int>{1, 40}));
  EXPECT_EQ(set[0].path, "/proc/1/ns/net");
  EXPECT_EQ(set[1].label, "netns:4026532301");
  EXPECT_FALSE(set[1].host);
  EXPECT_EQ(set[1].pids, (std::vector<int>{900, 901}));
  EXPECT_EQ(set[1].path, "/proc/900/ns/net");
}

TEST(NamespacesTest, NamedNamespacesKeepTheirNameAndFileEvenWithoutProcesses) {
  const auto set =
      assemble_namespaces(kHost, {{1, kHost}, {77, kNamed}},
                          {{"blue", kNamed}, {"empty", kEmptyNamed}}, "/host/proc", "/run/netns");
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set[1].label, "blue");
  EXPECT_EQ(set[1].path, "/run/netns/blue");
  EXPECT_EQ(set[1].pids, std::vector<int>{77});
  EXPECT_EQ(set[2].label, "empty");
  EXPECT_EQ(set[2].path, "/run/netns/empty");
  EXPECT_TRUE(set[2].pids.empty());
}

TEST(NamespacesTest, TheHostStaysHostWhenNamedAndTwoNamesPickTheFirst) {
  const auto set =
      assemble_namespaces(kHost, {{1, kHost}}, {{"default", kHost}, {"zz", kNamed}, {"aa", kNamed}},
                          "/proc", "/run/netns");
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].label, "host");
  EXPECT_EQ(set[1].label, "aa");
  EXPECT_EQ(set[1].path, "/run/netns/aa");
}

TEST(NamespacesTest, SameInodeOnAnotherDeviceIsAnotherNamespace) {
  const auto set =
      assemble_namespaces(kHost, {{1, kHost}, {2, NetnsId{5, kHost.inode}}}, {}, "/proc", "/x");
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace port_exporter
