// SPDX-License-Identifier: Apache-2.0
// Owner: a process holding a socket, as a value. The kernel layer (kernel/owners.h) finds
// them; the core labels listeners with them and applies allow-lists to them.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace port_exporter {

// The container and Kubernetes pod a process runs in (kernel/identity_resolver.h finds
// them); every field empty where not applicable.
struct ContainerIdentity {
  std::string container_id;  // 64 hex digits, from /proc/<pid>/cgroup
  std::string k8s_namespace_name;
  std::string k8s_pod_name;
  std::string k8s_container_name;

  friend bool operator==(const ContainerIdentity& a, const ContainerIdentity& b) {
    return a.container_id == b.container_id && a.k8s_namespace_name == b.k8s_namespace_name &&
           a.k8s_pod_name == b.k8s_pod_name && a.k8s_container_name == b.k8s_container_name;
  }
};

struct Owner {
  int pid = 0;
  std::string process;  // comm of the process, valid UTF-8 ("unknown" when unreadable)
  // readlink of /proc/<pid>/exe, valid UTF-8, " (deleted)" kept: a process may rename
  // itself, not its executable. Empty when unreadable (no CAP_SYS_PTRACE, kernel thread).
  std::string exe{};
  ContainerIdentity container{};

  friend bool operator==(const Owner& a, const Owner& b) {
    return a.pid == b.pid && a.process == b.process && a.exe == b.exe && a.container == b.container;
  }
};

// A socket to find the owners of: its inode, its network namespace's inode (0: the
// host's, the exporter's own) and its uid (as sock_diag and /proc/net report it: the
// fsuid of the process that created it), which orders the search.
struct SocketRef {
  std::uint64_t inode = 0;
  std::uint64_t netns = 0;
  std::uint32_t uid = 0;
};

// Every process holding the socket, by ascending pid: a socket shared by a parent and its
// children (prefork servers, socket activation) has several owners, as in `ss -p`.
using OwnerMap = std::unordered_map<std::uint64_t, std::vector<Owner>>;

}  // namespace port_exporter
