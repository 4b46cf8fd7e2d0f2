// SPDX-License-Identifier: Apache-2.0
// Container and pod identity of a process, without an API server: the container id and
// pod UID from /proc/<pid>/cgroup (containerd, CRI-O, Docker, podman; systemd and cgroupfs
// drivers; cgroup v1 and v2), then pod name, namespace and container name from the
// kubelet's log folder names under --path.podlogs. The parsers are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/owner.h"

namespace port_exporter {

struct CgroupIdentity {
  std::string container_id;  // 64 lower-case hex digits, empty when not in a container
  std::string pod_uid;       // 8-4-4-4-12, dashes (systemd writes underscores), or empty

  friend bool operator==(const CgroupIdentity& a, const CgroupIdentity& b) {
    return a.container_id == b.container_id && a.pod_uid == b.pod_uid;
  }
};

// The content of /proc/<pid>/cgroup. The hierarchy whose path names the most container ids
// wins (a runtime nested in a container); on a tie the v2 line ("0::"), else the first v1
// line that names a container or pod. The deepest container id in the path is the
// process's own (podman's "libpod-<id>.scope/container", a container in a pod's slice).
CgroupIdentity parse_cgroup(std::string_view content);

// <podlogs>/pods/<namespace>_<pod>_<uid> (a name and a namespace cannot hold '_').
struct PodLogDir {
  std::string k8s_namespace;
  std::string pod;
  std::string uid;
};
std::optional<PodLogDir> parse_pod_log_dir(std::string_view name);

// <podlogs>/containers/<pod>_<namespace>_<container>-<container id>.log
struct ContainerLogFile {
  std::string pod;
  std::string k8s_namespace;
  std::string container;
  std::string container_id;
};
std::optional<ContainerLogFile> parse_container_log_name(std::string_view name);

// The names found under --path.podlogs: <containers>/ files by container id (they carry
// pod, namespace and container name), <pods>/ folders by pod UID (namespace and pod name:
// what a process of a container whose log file is missing, e.g. the pod's sandbox, gets).
struct PodLogIndex {
  std::unordered_map<std::string, ContainerLogFile> by_container_id;
  std::unordered_map<std::string, PodLogDir> by_pod_uid;
};
// Pure: entries whose names do not parse are skipped.
PodLogIndex index_pod_logs(const std::vector<std::string>& container_log_names,
                           const std::vector<std::string>& pod_dir_names);
// Pure: the labels of a process with cgroup identity `id`: the container id as read, and the
// Kubernetes names the index has for it (its container's log file first, else its pod's
// folder: namespace and pod name only).
ContainerIdentity name_container(const CgroupIdentity& id, const PodLogIndex& index);

}  // namespace port_exporter
