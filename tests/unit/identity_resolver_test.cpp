// SPDX-License-Identifier: Apache-2.0
// IdentityResolver on a fake procfs (<pid>/cgroup files as the runtimes write them) and a
// fake kubelet log tree (containers/<pod>_<ns>_<container>-<id>.log, pods/<ns>_<pod>_<uid>/).
#include "kernel/identity_resolver.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace port_exporter {
namespace {

namespace fs = std::filesystem;

const std::string kApp = std::string(64, 'a');
const std::string kSandbox = std::string(64, 'b');
const std::string kPodman = std::string(60, 'c') + "0123";
const std::string kUid = "1d3f5a7b-2c4e-4f60-8a1b-3c5d7e9f0a2b";
const std::string kUidUnderscores = "1d3f5a7b_2c4e_4f60_8a1b_3c5d7e9f0a2b";

std::string pod_cgroup(const std::string& id) {
  return "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscores +
         ".slice/cri-containerd-" + id + ".scope\n";
}

class IdentityResolverTest : public ::testing::Test {
 protected:
  IdentityResolverTest() {
    fs::create_directories(root_ / "proc");
    fs::create_directories(root_ / "log/containers");
    fs::create_directories(root_ / "log/pods" / ("shop_web-7d9f_" + kUid) / "nginx");
    add_process(10, pod_cgroup(kApp));
    add_process(11, pod_cgroup(kSandbox));  // the pause process: no log file of its own
    add_process(20, "0::/machine.slice/libpod-" + kPodman + ".scope/container\n");
    add_process(30, "0::/system.slice/ssh.service\n");
    std::ofstream(root_ / "log/containers" / ("web-7d9f_shop_nginx-" + kApp + ".log"));
  }
  ~IdentityResolverTest() override { fs::remove_all(root_); }

  void add_process(int pid, const std::string& cgroup) {
    fs::create_directories(root_ / "proc" / std::to_string(pid));
    std::ofstream(root_ / "proc" / std::to_string(pid) / "cgroup") << cgroup;
  }

  static fs::path make_root() {
    char pattern[] = "/tmp/identity_test.XXXXXX";
    return mkdtemp(pattern);
  }

  fs::path root_ = make_root();  // before resolver_, which is built from it
  IdentityResolver resolver_{(root_ / "proc").string(), (root_ / "log").string()};
};

TEST_F(IdentityResolverTest, AContainerOfAPodIsNamedByItsLogFile) {
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_process(10), (ContainerIdentity{kApp, "shop", "web-7d9f", "nginx"}));
}

TEST_F(IdentityResolverTest, AContainerWithoutALogFileGetsItsPodFromThePodFolder) {
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_process(11), (ContainerIdentity{kSandbox, "shop", "web-7d9f", ""}));
}

TEST_F(IdentityResolverTest, APodmanContainerHasAnIdAndNoKubernetesNames) {
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_process(20), (ContainerIdentity{kPodman, "", "", ""}));
}

TEST_F(IdentityResolverTest, AHostProcessOrAnExitedOneHasNone) {
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_process(30), ContainerIdentity{});
  EXPECT_EQ(resolver_.of_process(99), ContainerIdentity{});
  EXPECT_EQ(resolver_.listings(), 0u);  // nothing to name: the folders are not read
}

TEST_F(IdentityResolverTest, FoldersAreListedOnceWhileUnchanged) {
  resolver_.begin_collection();
  resolver_.of_process(10);
  resolver_.of_process(20);  // a miss: but listed already in this collection
  EXPECT_EQ(resolver_.listings(), 1u);
  resolver_.begin_collection();
  resolver_.of_process(10);  // a hit: no listing
  EXPECT_EQ(resolver_.listings(), 1u);
}

TEST_F(IdentityResolverTest, AContainerStartedLaterIsFoundAtTheNextCollection) {
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_process(11).k8s_container_name, "");
  std::ofstream(root_ / "log/containers" / ("web-7d9f_shop_sidecar-" + kSandbox + ".log"));
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_process(11), (ContainerIdentity{kSandbox, "shop", "web-7d9f", "sidecar"}));
  EXPECT_EQ(resolver_.listings(), 2u);
}

TEST_F(IdentityResolverTest, ANamespaceOfOnePodNamesThePodButNoContainer) {
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_namespace({10, 11}), (ContainerIdentity{"", "shop", "web-7d9f", ""}));
}

TEST_F(IdentityResolverTest, ANamespaceOfOneContainerNamesIt) {
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_namespace({20}), (ContainerIdentity{kPodman, "", "", ""}));
  EXPECT_EQ(resolver_.of_namespace({10}), (ContainerIdentity{kApp, "shop", "web-7d9f", "nginx"}));
}

TEST_F(IdentityResolverTest, AHostProcessInTheNamespaceBreaksTheAgreement) {
  resolver_.begin_collection();
  EXPECT_EQ(resolver_.of_namespace({20, 30}), ContainerIdentity{});
  EXPECT_EQ(resolver_.of_namespace({99, 20}), (ContainerIdentity{kPodman, "", "", ""}));  // exited
}

TEST(PodLogIndexTest, NamesComeFromTheLogFileFirstThenThePodFolder) {
  const PodLogIndex index =
      index_pod_logs({"web-7d9f_shop_nginx-" + kApp + ".log", "not-a-log", "README"},
                     {"shop_web-7d9f_" + kUid, "lost+found"});
  EXPECT_EQ(index.by_container_id.size(), 1u);
  EXPECT_EQ(index.by_pod_uid.size(), 1u);
  EXPECT_EQ(name_container({kApp, kUid}, index),
            (ContainerIdentity{kApp, "shop", "web-7d9f", "nginx"}));
  EXPECT_EQ(name_container({kSandbox, kUid}, index),
            (ContainerIdentity{kSandbox, "shop", "web-7d9f", ""}));
  EXPECT_EQ(name_container({kPodman, ""}, index), (ContainerIdentity{kPodman, "", "", ""}));
  EXPECT_EQ(name_container({}, index), ContainerIdentity{});
}

}  // namespace
}  // namespace port_exporter
