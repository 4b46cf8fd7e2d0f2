// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/cgroup as each runtime and cgroup driver writes it, and the kubelet's log
// folder names. The cgroup lines follow the layouts the runtimes document and create
// (containerd and CRI-O under the kubelet with the systemd and cgroupfs drivers, Docker,
// podman rootful and rootless, cgroup v1 and v2).
#include "kernel/container_identity.h"

#include <gtest/gtest.h>

namespace port_exporter {
namespace {

const std::string kId = "4f1c0e5bd3a2c9f8e7d6b5a4938271605f4e3d2c1b0a99887766554433221100";
const std::string kUid = "1d3f5a7b-2c4e-4f60-8a1b-3c5d7e9f0a2b";
const std::string kUidUnderscores = "1d3f5a7b_2c4e_4f60_8a1b_3c5d7e9f0a2b";

CgroupIdentity in_pod(const std::string& id) { return {id, kUid}; }

TEST(ContainerIdentityTest, ContainerdWithTheSystemdDriverOnCgroupV2) {
  EXPECT_EQ(parse_cgroup("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                         kUidUnderscores + ".slice/cri-containerd-" + kId + ".scope\n"),
            in_pod(kId));
}

TEST(ContainerIdentityTest, ContainerdWithTheCgroupfsDriverOnCgroupV2) {
  EXPECT_EQ(parse_cgroup("0::/kubepods/besteffort/pod" + kUid + "/" + kId + "\n"), in_pod(kId));
}

TEST(ContainerIdentityTest, ContainerdGuaranteedPodHasNoQosSlice) {
  EXPECT_EQ(parse_cgroup("0::/kubepods.slice/kubepods-pod" + kUidUnderscores +
                         ".slice/cri-containerd-" + kId + ".scope\n"),
            in_pod(kId));
}

TEST(ContainerIdentityTest, CrioWithBothDriversOnCgroupV2) {
  EXPECT_EQ(parse_cgroup("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                         kUidUnderscores + ".slice/crio-" + kId + ".scope\n"),
            in_pod(kId));
  EXPECT_EQ(parse_cgroup("0::/kubepods/burstable/pod" + kUid + "/crio-" + kId + "\n"), in_pod(kId));
}

TEST(ContainerIdentityTest, CrioConmonIsNotTheContainer) {
  EXPECT_EQ(parse_cgroup("0::/kubepods.slice/kubepods-pod" + kUidUnderscores +
                         ".slice/crio-conmon-" + kId + ".scope\n"),
            (CgroupIdentity{"", kUid}));
}

TEST(ContainerIdentityTest, CgroupV1ListsEveryControllerAndNamesTheContainerInEach) {
  const std::string v1 = "12:pids:/kubepods/burstable/pod" + kUid + "/" + kId +
                         "\n"
                         "11:cpu,cpuacct:/kubepods/burstable/pod" +
                         kUid + "/" + kId +
                         "\n"
                         "1:name=systemd:/kubepods/burstable/pod" +
                         kUid + "/" + kId + "\n";
  EXPECT_EQ(parse_cgroup(v1), in_pod(kId));
}

// Recorded: podman (cgroupfs) inside a podman container on a hybrid host. Each v1 hierarchy
// names the enclosing container and then the process's own; the v2 line only the enclosing
// one. The process's container is the deepest.
TEST(ContainerIdentityTest, NestedRuntimeTheDeepestContainerOfAnyHierarchy) {
  const std::string outer(64, 'a');
  const std::string nested = "/libpod_parent/libpod-" + outer + "/libpod_parent/libpod-" + kId;
  EXPECT_EQ(parse_cgroup("9:name=systemd:" + nested + "\n8:pids:" + nested +
                         "\n0::/libpod_parent/libpod-" + outer + "\n"),
            (CgroupIdentity{kId, ""}));
  // One container in each: the v2 line's, as before.
  EXPECT_EQ(parse_cgroup("8:pids:/docker/" + outer + "\n0::/libpod_parent/libpod-" + kId + "\n"),
            (CgroupIdentity{kId, ""}));
}

TEST(ContainerIdentityTest, DockerWithBothDriversAndBothVersions) {
  EXPECT_EQ(parse_cgroup("0::/system.slice/docker-" + kId + ".scope\n"), (CgroupIdentity{kId, ""}));
  EXPECT_EQ(parse_cgroup("0::/docker/" + kId + "\n"), (CgroupIdentity{kId, ""}));
  EXPECT_EQ(parse_cgroup("13:memory:/docker/" + kId + "\n1:name=systemd:/docker/" + kId + "\n"),
            (CgroupIdentity{kId, ""}));
}

TEST(ContainerIdentityTest, PodmanRootfulRootlessAndCgroupfs) {
  EXPECT_EQ(parse_cgroup("0::/machine.slice/libpod-" + kId + ".scope\n"),
            (CgroupIdentity{kId, ""}));
  EXPECT_EQ(parse_cgroup("0::/machine.slice/libpod-" + kId + ".scope/container\n"),
            (CgroupIdentity{kId, ""}));
  EXPECT_EQ(parse_cgroup("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" +
                         kId + ".scope\n"),
            (CgroupIdentity{kId, ""}));
  EXPECT_EQ(parse_cgroup("0::/libpod_parent/libpod-" + kId + "\n"), (CgroupIdentity{kId, ""}));
}

TEST(ContainerIdentityTest, PodmanConmonIsNotTheContainer) {
  EXPECT_EQ(parse_cgroup("0::/machine.slice/libpod-conmon-" + kId + ".scope\n"),
            (CgroupIdentity{}));
}

TEST(ContainerIdentityTest, HostProcessesHaveNoIdentity) {
  EXPECT_EQ(parse_cgroup("0::/system.slice/ssh.service\n"), (CgroupIdentity{}));
  EXPECT_EQ(parse_cgroup("0::/init.scope\n"), (CgroupIdentity{}));
  EXPECT_EQ(parse_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n"), (CgroupIdentity{}));
  EXPECT_EQ(parse_cgroup("0::/kubepods.slice/kubepods-burstable.slice\n"), (CgroupIdentity{}));
  EXPECT_EQ(parse_cgroup(""), (CgroupIdentity{}));
  EXPECT_EQ(parse_cgroup("garbage\n0:x\n"), (CgroupIdentity{}));
}

TEST(ContainerIdentityTest, AnIdOfTheWrongLengthOrCaseIsNotAnId) {
  EXPECT_EQ(parse_cgroup("0::/docker/" + kId.substr(1) + "\n"), (CgroupIdentity{}));
  std::string upper = kId;
  upper[0] = 'A';
  EXPECT_EQ(parse_cgroup("0::/docker/" + upper + "\n"), (CgroupIdentity{}));
}

TEST(ContainerIdentityTest, PodLogFolderNames) {
  const auto dir = parse_pod_log_dir("kube-system_coredns-5d78c9869d-x2x7k_" + kUid);
  ASSERT_TRUE(dir.has_value());
  EXPECT_EQ(dir->k8s_namespace, "kube-system");
  EXPECT_EQ(dir->pod, "coredns-5d78c9869d-x2x7k");
  EXPECT_EQ(dir->uid, kUid);
  EXPECT_FALSE(parse_pod_log_dir("kube-system_coredns").has_value());
  EXPECT_FALSE(parse_pod_log_dir("_pod_" + kUid).has_value());
  EXPECT_FALSE(parse_pod_log_dir("ns__" + kUid).has_value());
  EXPECT_FALSE(parse_pod_log_dir("ns_pod_not-a-uid").has_value());
}

TEST(ContainerIdentityTest, ContainerLogFileNames) {
  const auto file = parse_container_log_name("web-7d9_shop_app-sidecar-" + kId + ".log");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->pod, "web-7d9");
  EXPECT_EQ(file->k8s_namespace, "shop");
  EXPECT_EQ(file->container, "app-sidecar");
  EXPECT_EQ(file->container_id, kId);
  EXPECT_FALSE(parse_container_log_name("web_shop_app-" + kId).has_value());  // no .log
  EXPECT_FALSE(parse_container_log_name("web_shop_-" + kId + ".log").has_value());
  EXPECT_FALSE(parse_container_log_name("web_shop_app_" + kId + ".log").has_value());
}

}  // namespace
}  // namespace port_exporter
