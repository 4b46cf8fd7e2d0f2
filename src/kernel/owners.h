// SPDX-License-Identifier: Apache-2.0
// Owner lookup: socket inode -> the processes holding it (pid, process name), by walking
// <procfs>/<pid>/fd, only for listeners on watched ports. Cached: while the set of
// listeners is unchanged, each collection only re-checks the cached (pid, fd) links and
// re-reads the names. Every process's fds are read again when a new inode appears or a
// cached link no longer points at its socket; every kRefreshEvery collections the fds of
// processes started since are read (a process that inherited a socket later, e.g. a
// service started by systemd socket activation).
#pragma once

#include <dirent.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "model/owner.h"

namespace port_exporter {

class OwnerResolver {
 public:
  static constexpr std::uint64_t kRefreshEvery = 40;  // 10 minutes at interval 15s

  // One process holding a socket, and the fd number it holds it under: what the cache
  // keeps and re-checks with one readlink.
  struct Holder {
    int pid;
    int fd;
  };
  using HolderMap = std::unordered_map<std::uint64_t, std::vector<Holder>>;

  explicit OwnerResolver(std::string procfs_root);

  // Owners of `inodes`. Inodes not found (another netns, a socket in flight, a process
  // that exited, no permission) are absent from the map. An error means /proc could not
  // be read at all.
  Result<OwnerMap> resolve(const std::vector<std::uint64_t>& inodes);

  // How many walks of every process's fds were made (not counting the scans of new
  // processes): tests and the benchmark check the cache with it.
  std::uint64_t walks() const { return walks_; }

 private:
  bool cache_still_valid(int proc_fd, const std::vector<std::uint64_t>& inodes) const;
  void scan(DIR* proc, const std::vector<std::uint64_t>& inodes, bool only_new_processes);

  std::string procfs_root_;
  HolderMap cache_;              // every inode of the last walk; empty vector: not found
  std::vector<int> known_pids_;  // sorted: the processes the last scan saw
  std::uint64_t walks_ = 0;
  std::uint64_t resolves_since_walk_ = 0;
};

}  // namespace port_exporter
