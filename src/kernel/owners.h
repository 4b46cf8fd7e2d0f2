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
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "model/owner.h"

namespace port_exporter {

// Whether `root` is a procfs mount (statfs type PROC_SUPER_MAGIC): a plain directory given
// as --path.procfs would make every owner "unknown" without an error. The error says what
// it is instead.
Result<bool> check_procfs(const std::string& root);

// "socket:[12345]" (an fd link's target) -> 12345; anything else -> nullopt.
std::optional<std::uint64_t> parse_socket_link(std::string_view link);

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

  // Whether resolve() refuses a root that is not a procfs mount (kAnyDirectory: the fake
  // procfs trees of the tests).
  enum class RootCheck : std::uint8_t { kProcfsOnly, kAnyDirectory };

  explicit OwnerResolver(std::string procfs_root, RootCheck check = RootCheck::kProcfsOnly);

  // Owners of `inodes`. Inodes not found (another netns, a socket in flight, a process
  // that exited, no permission) are absent from the map. An error means /proc could not
  // be read at all, or is not a procfs mount (checked at every call: cheap, and a mount
  // can change under a running exporter).
  Result<OwnerMap> resolve(const std::vector<std::uint64_t>& inodes);

  // How many walks of every process's fds were made (not counting the scans of new
  // processes): tests and the benchmark check the cache with it.
  std::uint64_t walks() const { return walks_; }

 private:
  bool cache_still_valid(int proc_fd, const std::vector<std::uint64_t>& inodes) const;
  void scan(DIR* proc, const std::vector<std::uint64_t>& inodes, bool only_new_processes);

  std::string procfs_root_;
  RootCheck root_check_;
  HolderMap cache_;              // every inode of the last walk; empty vector: not found
  std::vector<int> known_pids_;  // sorted: the processes the last scan saw
  std::uint64_t walks_ = 0;
  std::uint64_t resolves_since_walk_ = 0;
};

}  // namespace port_exporter
