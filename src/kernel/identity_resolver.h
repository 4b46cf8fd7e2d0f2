// SPDX-License-Identifier: Apache-2.0
// IdentityResolver: the container and pod of a process, read-only and without an API
// server: <procfs>/<pid>/cgroup (bounded read) gives the container id and pod UID, the
// kubelet's log folders under --path.podlogs (containers/<pod>_<ns>_<container>-<id>.log,
// pods/<ns>_<pod>_<uid>/) give the names. The folders are listed again only when a lookup
// misses and their mtime changed since the last listing, at most once per collection.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "kernel/container_identity.h"
#include "model/owner.h"

namespace port_exporter {

class IdentityResolver {
 public:
  // Bounds on what one listing reads: a node has a few hundred containers.
  static constexpr std::size_t kMaxLogEntries = 16384;
  static constexpr std::size_t kMaxCgroupBytes = std::size_t{64} * 1024;
  // Processes of a namespace read for a listener whose owner is unknown.
  static constexpr std::size_t kMaxNamespaceProbes = 8;

  IdentityResolver(std::string procfs_root, std::string podlogs_root);

  // Starts a collection: the log folders may be listed again (once) from now on.
  void begin_collection() { listed_this_collection_ = false; }

  // The container and pod of `pid`; empty when it is in none, exited, or unreadable.
  ContainerIdentity of_process(int pid);

  // For a listener whose owner is unknown, inside a namespace that holds `pids`: what the
  // first kMaxNamespaceProbes of them agree on (a podman container alone in its namespace
  // gives its id; a pod's processes, sandbox and containers, give namespace and pod only).
  ContainerIdentity of_namespace(const std::vector<int>& pids);

  // How many times the log folders were listed: the tests check the cache with it.
  std::size_t listings() const { return listings_; }

 private:
  std::optional<CgroupIdentity> read_cgroup(int pid) const;  // nullopt: unreadable
  ContainerIdentity name(const CgroupIdentity& id);
  void relist_if_changed();

  std::string procfs_root_;
  std::string podlogs_root_;
  PodLogIndex index_;
  struct timespec containers_mtime_ {};
  struct timespec pods_mtime_ {};
  bool settled_ = false;  // both folders' mtimes were over a second old when listed
  bool listed_this_collection_ = false;
  std::size_t listings_ = 0;
};

}  // namespace port_exporter
