// SPDX-License-Identifier: Apache-2.0
// Owner lookup: socket inode -> the processes holding it (pid, process name), by walking
// <procfs>/<pid>/fd, only for listeners on watched ports. Cached: while the set of
// listeners is unchanged, each collection only re-checks the cached (pid, fd) links and
// re-reads the names. A new inode, or one whose cached link no longer points at it, is
// looked for first in the processes of its own network namespace (<pid>/ns/net) whose
// effective uid (the owner of <pid>) is the socket's uid, then in the rest of that
// namespace, and in every other process only when none there holds it. A socket found
// among the first has the rest of its namespace read at the next collection (other
// holders: the service of a systemd socket, the workers of a prefork server). Every
// kRefreshEvery collections the fds of processes started since are read (a process that
// inherited a socket later). Walks are bounded by a time budget (WalkBudget): past it,
// attribution of new listeners is deferred to a later collection.
#pragma once

#include <dirent.h>

#include <chrono>
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

// The time fd walks may take: refilled at `share` of wall-clock time, up to `burst`. A walk
// starts only while some is left and its duration is then charged, so however often new
// listeners appear, walks take about `share` of one core over time (0.01: 600 ms a minute).
class WalkBudget {
 public:
  using Clock = std::chrono::steady_clock;
  WalkBudget(double share, Clock::duration burst);
  bool available(Clock::time_point now);
  void charge(Clock::duration spent) { left_ -= spent; }

 private:
  double share_;
  Clock::duration burst_;
  Clock::duration left_;
  std::optional<Clock::time_point> last_;
};

class OwnerResolver {
 public:
  static constexpr std::uint64_t kRefreshEvery = 40;  // 10 minutes at interval 15s
  static constexpr double kWalkShare = 0.01;          // 1% of one core
  static constexpr std::chrono::milliseconds kWalkBurst{1000};

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

  // Owners of `sockets`. Sockets not found (a socket in flight, a process that exited, no
  // permission, a walk deferred) are absent from the map. An error means /proc could not
  // be read at all, or is not a procfs mount (checked at every call: cheap, and a mount
  // can change under a running exporter).
  Result<OwnerMap> resolve_sockets(const std::vector<SocketRef>& sockets);
  // The same for sockets of the exporter's own namespace.
  Result<OwnerMap> resolve(const std::vector<std::uint64_t>& inodes);

  // How many walks looking for new sockets were made (not counting the scans of new
  // processes): tests and the benchmark check the cache with it.
  std::uint64_t walks() const { return walks_; }
  // Of those, how many read every process (the namespace's own found no holder).
  std::uint64_t full_walks() const { return full_walks_; }
  // Reads of the rest of a namespace for sockets first found among the processes of
  // their uid (see the header comment).
  std::uint64_t completions() const { return completions_; }
  // Processes whose fds were read, over all walks.
  std::uint64_t processes_scanned() const { return processes_scanned_; }
  // Collections whose new sockets were left unattributed because the budget was spent:
  // port_exporter_owner_lookups_deferred_total.
  std::uint64_t deferred() const { return deferred_; }

  void set_walk_budget(WalkBudget budget) { budget_ = budget; }
  // The inode of the namespace that SocketRef::netns 0 stands for (default: the exporter's).
  void set_host_netns(std::uint64_t inode) { host_netns_ = inode; }

 private:
  struct Process {
    int pid;
    std::uint64_t netns;               // 0: unreadable (no CAP_SYS_PTRACE, exited)
    std::optional<std::uint32_t> uid;  // effective uid; none: not read, or exited
  };
  void drop_stale(int proc_fd, const std::vector<SocketRef>& sockets);
  std::vector<Process> list_processes(DIR* proc, bool with_identity) const;
  void remember(const std::vector<Process>& processes);
  void find(int proc_fd, const std::vector<Process>& processes,
            const std::vector<SocketRef>& missing);
  void complete(int proc_fd, const std::vector<Process>& processes,
                const std::vector<SocketRef>& found_by_uid);
  void complete_within_budget(DIR* proc, std::optional<std::vector<Process>>& listed,
                              const std::vector<SocketRef>& to_complete);
  void scan_new_processes(int proc_fd, const std::vector<Process>& processes,
                          const std::vector<SocketRef>& sockets);

  std::string procfs_root_;
  RootCheck root_check_;
  HolderMap cache_;                    // every inode of the last walk; empty vector: not found
  std::vector<SocketRef> incomplete_;  // found by uid: the rest of the namespace is unread
  std::vector<int> known_pids_;        // sorted: the processes the last scan saw
  WalkBudget budget_{kWalkShare, kWalkBurst};
  std::uint64_t host_netns_;
  std::uint64_t walks_ = 0;
  std::uint64_t full_walks_ = 0;
  std::uint64_t completions_ = 0;
  std::uint64_t processes_scanned_ = 0;
  std::uint64_t deferred_ = 0;
  std::uint64_t resolves_since_walk_ = 0;
};

}  // namespace port_exporter
