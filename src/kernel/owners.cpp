// SPDX-License-Identifier: Apache-2.0
#include "kernel/owners.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "base/dir_ptr.h"
#include "base/errno_text.h"
#include "base/parse_number.h"
#include "base/utf8.h"

namespace port_exporter {
namespace {

using InodeSet = std::unordered_set<std::uint64_t>;

// The socket inode an fd link points at, if it is a socket.
std::optional<std::uint64_t> link_inode(int dir_fd, const char* path) {
  char target[64];
  const ssize_t n = readlinkat(dir_fd, path, target, sizeof target);
  if (n <= 0 || static_cast<std::size_t>(n) == sizeof target) return std::nullopt;
  return parse_socket_link(std::string_view(target, static_cast<std::size_t>(n)));
}

// The process name, made valid UTF-8: any process may set its comm to arbitrary bytes
// (prctl PR_SET_NAME), and one invalid label value would fail every scrape.
std::string read_comm(int proc_fd, int pid) {
  const std::string path = std::to_string(pid) + "/comm";
  const int fd = openat(proc_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "unknown";  // exited since its fds were read
  char buffer[64];
  ssize_t n;
  do {
    n = read(fd, buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  close(fd);
  std::string_view comm(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
  if (!comm.empty() && comm.back() == '\n') comm.remove_suffix(1);
  return comm.empty() ? std::string("unknown") : to_valid_utf8(comm);
}

// The executable's path. The kernel appends " (deleted)" when the file was removed or
// replaced since exec: kept, since a deleted binary listening is itself a signal.
// Empty when unreadable: another user's process without CAP_SYS_PTRACE, a kernel thread.
std::string read_exe(int proc_fd, int pid) {
  const std::string path = std::to_string(pid) + "/exe";
  std::string target(4096, '\0');
  const ssize_t n = readlinkat(proc_fd, path.c_str(), target.data(), target.size());
  if (n <= 0 || static_cast<std::size_t>(n) == target.size()) return {};
  target.resize(static_cast<std::size_t>(n));
  return to_valid_utf8(target);
}

// Records in `found` every fd of one process that points at a wanted inode. A process
// that exits meanwhile (ENOENT, ESRCH) or whose fds we may not read (EACCES, EPERM)
// simply has none.
void scan_fds(int proc_fd, int pid, const InodeSet& wanted, OwnerResolver::HolderMap& found) {
  const int fd_dir =
      openat(proc_fd, (std::to_string(pid) + "/fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_dir < 0) return;
  const DirPtr fds(fdopendir(fd_dir));
  if (!fds) {
    close(fd_dir);
    return;
  }
  while (const dirent* entry = readdir(fds.get())) {
    if (entry->d_name[0] == '.') continue;
    const std::optional<std::uint64_t> inode = link_inode(fd_dir, entry->d_name);
    if (!inode || wanted.count(*inode) == 0) continue;
    auto& holders = found[*inode];
    // One entry per process, however many fds it has on the socket.
    if (holders.empty() || holders.back().pid != pid) {
      holders.push_back(OwnerResolver::Holder{pid, parse_number<int>(entry->d_name).value_or(-1)});
    }
  }
}

// "net:[4026531840]" -> 4026531840.
std::optional<std::uint64_t> parse_netns_link(std::string_view link) {
  constexpr std::string_view kPrefix = "net:[";
  if (link.size() <= kPrefix.size() + 1 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']') {
    return std::nullopt;
  }
  return parse_number<std::uint64_t>(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1));
}

std::optional<std::uint64_t> read_netns_link(int dir_fd, const char* path) {
  char target[64];
  const ssize_t n = readlinkat(dir_fd, path, target, sizeof target);
  if (n <= 0 || static_cast<std::size_t>(n) == sizeof target) return std::nullopt;
  return parse_netns_link(std::string_view(target, static_cast<std::size_t>(n)));
}

// The network namespace of a process (readlink of <pid>/ns/net): one syscall, where reading
// its fds is one per fd. Unreadable without CAP_SYS_PTRACE for another user's process.
std::optional<std::uint64_t> netns_of(int proc_fd, int pid) {
  return read_netns_link(proc_fd, (std::to_string(pid) + "/ns/net").c_str());
}

// The effective uid of a process: the owner of <procfs>/<pid>, one fstatat. Unlike the
// files inside it (owned by root once a process is not dumpable: setuid, privileges
// dropped, PR_SET_DUMPABLE 0), the directory itself always carries the euid (the kernel's
// task_dump_owner() exempts it, because ps has always read it this way), and reading it
// needs no capability; <pid>/status says the same at one open, read and close, and the
// kernel formats every line of it.
std::optional<std::uint32_t> uid_of(int proc_fd, int pid) {
  struct stat st {};
  if (fstatat(proc_fd, std::to_string(pid).c_str(), &st, 0) != 0) return std::nullopt;
  return static_cast<std::uint32_t>(st.st_uid);
}

// One holder per process, by ascending pid.
void sort_unique(std::vector<OwnerResolver::Holder>& holders) {
  std::sort(
      holders.begin(), holders.end(),
      [](const OwnerResolver::Holder& a, const OwnerResolver::Holder& b) { return a.pid < b.pid; });
  holders.erase(std::unique(holders.begin(), holders.end(),
                            [](const OwnerResolver::Holder& a, const OwnerResolver::Holder& b) {
                              return a.pid == b.pid;
                            }),
                holders.end());
}

InodeSet inodes_of(const std::vector<SocketRef>& sockets) {
  InodeSet inodes;
  for (const SocketRef& s : sockets) inodes.insert(s.inode);
  return inodes;
}

// The processes that may hold some of `sockets`: those in their namespaces (netns 0: a
// process whose namespace is unreadable, in any), and among them those of their uids.
class Candidates {
 public:
  Candidates(const std::vector<SocketRef>& sockets, std::uint64_t host_netns) {
    for (const SocketRef& s : sockets) {
      const std::uint64_t netns = s.netns != 0 ? s.netns : host_netns;
      namespaces_.insert(netns);
      owners_.insert({netns, s.uid});
      uids_.insert(s.uid);
    }
  }
  bool in_namespace(std::uint64_t netns) const {
    return netns == 0 || namespaces_.count(netns) != 0;
  }
  bool of_uid(std::uint64_t netns, std::optional<std::uint32_t> uid) const {
    if (!uid) return false;
    return netns == 0 ? uids_.count(*uid) != 0 : owners_.count({netns, *uid}) != 0;
  }

 private:
  std::unordered_set<std::uint64_t> namespaces_;
  std::set<std::pair<std::uint64_t, std::uint32_t>> owners_;
  std::unordered_set<std::uint32_t> uids_;
};

std::optional<std::uint64_t> own_netns() { return read_netns_link(AT_FDCWD, "/proc/self/ns/net"); }

}  // namespace

std::optional<std::uint64_t> parse_socket_link(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (link.size() <= kPrefix.size() + 1 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']') {
    return std::nullopt;
  }
  return parse_number<std::uint64_t>(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1));
}

Result<bool> check_procfs(const std::string& root) {
  struct statfs fs {};
  if (::statfs(root.c_str(), &fs) != 0) {
    return Error{root + ": cannot read: " + std::generic_category().message(errno)};
  }
  if (fs.f_type == PROC_SUPER_MAGIC) return true;
  char type[32];
  std::snprintf(type, sizeof type, "0x%lx", static_cast<unsigned long>(fs.f_type));
  return Error{root + " is not a procfs mount (filesystem type " + type +
               "); listener owners cannot be found there: point --path.procfs at the host's "
               "/proc"};
}

WalkBudget::WalkBudget(double share, Clock::duration burst)
    : share_(share), burst_(burst), left_(burst) {}

bool WalkBudget::available(Clock::time_point now) {
  if (last_) {
    const auto refill = std::chrono::duration_cast<Clock::duration>((now - *last_) * share_);
    left_ = std::min(burst_, left_ + refill);
  }
  last_ = now;
  return left_ > Clock::duration::zero();
}

OwnerResolver::OwnerResolver(std::string procfs_root, RootCheck check)
    : procfs_root_(std::move(procfs_root)),
      root_check_(check),
      host_netns_(own_netns().value_or(0)) {}

// Forgets sockets no longer asked for, and those whose cached holder no longer holds them
// (closed, exited, fd reused): they are looked for again.
void OwnerResolver::drop_stale(int proc_fd, const std::vector<SocketRef>& sockets) {
  InodeSet wanted;
  for (const SocketRef& s : sockets) wanted.insert(s.inode);
  for (auto it = cache_.begin(); it != cache_.end();) {
    bool keep = wanted.count(it->first) != 0;
    for (const Holder& h : it->second) {
      if (!keep) break;
      const std::string link = std::to_string(h.pid) + "/fd/" + std::to_string(h.fd);
      keep = link_inode(proc_fd, link.c_str()) == it->first;
    }
    it = keep ? std::next(it) : cache_.erase(it);
  }
}

// Every process under `proc`, by pid, with its network namespace (when readable) and
// effective uid when asked: two syscalls per process, against one per fd for its fds.
std::vector<OwnerResolver::Process> OwnerResolver::list_processes(DIR* proc,
                                                                  bool with_identity) const {
  std::vector<Process> processes;
  while (const dirent* entry = readdir(proc)) {
    const std::optional<int> pid = parse_number<int>(entry->d_name);
    if (!pid || *pid <= 0) continue;  // self, net, sys, ...
    if (!with_identity) {
      processes.push_back({*pid, 0, std::nullopt});
      continue;
    }
    processes.push_back({*pid, netns_of(dirfd(proc), *pid).value_or(0), uid_of(dirfd(proc), *pid)});
  }
  std::sort(processes.begin(), processes.end(),
            [](const Process& a, const Process& b) { return a.pid < b.pid; });
  return processes;
}

// Searches for `missing` in three passes, each only for the sockets the previous ones did
// not find: the processes of each socket's namespace and uid (a listener's creator, as a
// rule), the rest of those namespaces, then every other process (a socket passed over a
// unix socket, created before a setns or a setuid). A process whose namespace is
// unreadable counts as in every namespace. Sockets found by the first pass have the rest
// of their namespace read by complete() at the next call.
void OwnerResolver::find(int proc_fd, const std::vector<Process>& processes,
                         const std::vector<SocketRef>& missing) {
  HolderMap found;
  std::vector<bool> scanned(processes.size(), false);
  const auto pass = [&](const std::vector<SocketRef>& sockets, auto selected) {
    const InodeSet wanted = inodes_of(sockets);
    for (std::size_t i = 0; i < processes.size(); ++i) {
      if (scanned[i] || !selected(processes[i])) continue;
      scan_fds(proc_fd, processes[i].pid, wanted, found);
      scanned[i] = true;
      ++processes_scanned_;
    }
    std::vector<SocketRef> rest;
    for (const SocketRef& s : sockets) {
      if (found.count(s.inode) == 0) rest.push_back(s);
    }
    return rest;
  };
  const Candidates first(missing, host_netns_);
  std::vector<SocketRef> rest =
      pass(missing, [&](const Process& p) { return first.of_uid(p.netns, p.uid); });
  for (const SocketRef& s : missing) {
    if (found.count(s.inode) != 0) incomplete_.push_back(s);
  }
  if (!rest.empty()) {
    const Candidates second(rest, host_netns_);
    rest = pass(rest, [&](const Process& p) { return second.in_namespace(p.netns); });
  }
  if (!rest.empty()) {
    ++full_walks_;
    pass(rest, [](const Process&) { return true; });
  }
  for (const SocketRef& s : missing) {
    auto& holders = cache_[s.inode];  // not found: cached as empty, not looked for again
    holders = std::move(found[s.inode]);
    sort_unique(holders);
  }
}

// The rest of the namespaces of sockets found among the processes of their uid: their
// other holders (systemd, root, keeps its copy of a socket it hands to a service run as
// another user; prefork workers drop privileges).
void OwnerResolver::complete(int proc_fd, const std::vector<Process>& processes,
                             const std::vector<SocketRef>& found_by_uid) {
  const Candidates read_first(found_by_uid, host_netns_);
  const InodeSet wanted = inodes_of(found_by_uid);
  HolderMap found;
  for (const Process& p : processes) {
    if (!read_first.in_namespace(p.netns) || read_first.of_uid(p.netns, p.uid)) continue;
    scan_fds(proc_fd, p.pid, wanted, found);
    ++processes_scanned_;
  }
  for (auto& [inode, holders] : found) {
    std::vector<Holder>& cached = cache_[inode];
    cached.insert(cached.end(), holders.begin(), holders.end());
    sort_unique(cached);
  }
  ++completions_;
}

// A process that inherits a socket later (a service socket-activated by systemd) is a new
// process: only those need their fds read.
void OwnerResolver::scan_new_processes(int proc_fd, const std::vector<Process>& processes,
                                       const std::vector<SocketRef>& sockets) {
  InodeSet wanted;
  for (const SocketRef& s : sockets) wanted.insert(s.inode);
  for (const Process& p : processes) {
    if (std::binary_search(known_pids_.begin(), known_pids_.end(), p.pid)) continue;
    scan_fds(proc_fd, p.pid, wanted, cache_);
    ++processes_scanned_;
  }
  for (auto& [inode, holders] : cache_) sort_unique(holders);
}

void OwnerResolver::remember(const std::vector<Process>& processes) {
  known_pids_.clear();
  for (const Process& p : processes) known_pids_.push_back(p.pid);  // sorted by pid
  resolves_since_walk_ = 0;
}

// Completes the sockets a previous call found by uid, while the budget lasts (else at a
// later call): after this call's own walk, so that a new listener is attributed first.
void OwnerResolver::complete_within_budget(DIR* proc, std::optional<std::vector<Process>>& listed,
                                           const std::vector<SocketRef>& to_complete) {
  if (to_complete.empty()) return;
  const auto started = WalkBudget::Clock::now();
  if (!budget_.available(started)) {
    incomplete_.insert(incomplete_.end(), to_complete.begin(), to_complete.end());
    return;
  }
  if (!listed) listed = list_processes(proc, /*with_identity=*/true);
  complete(dirfd(proc), *listed, to_complete);
  budget_.charge(WalkBudget::Clock::now() - started);
}

Result<OwnerMap> OwnerResolver::resolve(const std::vector<std::uint64_t>& inodes) {
  std::vector<SocketRef> sockets;
  sockets.reserve(inodes.size());
  for (const std::uint64_t inode : inodes) sockets.push_back({inode, 0});
  return resolve_sockets(sockets);
}

Result<OwnerMap> OwnerResolver::resolve_sockets(const std::vector<SocketRef>& all_sockets) {
  if (root_check_ == RootCheck::kProcfsOnly) {
    const Result<bool> procfs = check_procfs(procfs_root_);
    if (!procfs) return Error{"owner lookup: " + procfs.error()};
  }
  std::vector<SocketRef> sockets;  // inode 0: a socket without an inode (a request socket)
  std::copy_if(all_sockets.begin(), all_sockets.end(), std::back_inserter(sockets),
               [](const SocketRef& s) { return s.inode != 0; });
  if (sockets.empty()) return OwnerMap{};
  const DirPtr proc(opendir(procfs_root_.c_str()));
  if (!proc) {
    return Error{"owner lookup: cannot open " + procfs_root_ + ": " + errno_message(errno)};
  }
  const int proc_fd = dirfd(proc.get());
  drop_stale(proc_fd, sockets);
  std::vector<SocketRef> to_complete;  // found by uid before, still asked for and held
  for (const SocketRef& s : incomplete_) {
    if (cache_.count(s.inode) != 0) to_complete.push_back(s);
  }
  incomplete_.clear();
  std::vector<SocketRef> missing;
  for (const SocketRef& s : sockets) {
    if (cache_.count(s.inode) == 0) missing.push_back(s);
  }
  std::optional<std::vector<Process>> listed;  // with identity: for find() and complete()
  const auto started = WalkBudget::Clock::now();
  if (!missing.empty() && !budget_.available(started)) {
    ++deferred_;  // left unattributed this time; looked for again at the next collection
  } else if (!missing.empty()) {
    listed = list_processes(proc.get(), /*with_identity=*/true);
    find(proc_fd, *listed, missing);
    remember(*listed);
    ++walks_;
    budget_.charge(WalkBudget::Clock::now() - started);
  } else if (++resolves_since_walk_ >= kRefreshEvery) {
    const std::vector<Process> processes = list_processes(proc.get(), /*with_identity=*/false);
    scan_new_processes(proc_fd, processes, sockets);
    remember(processes);
    budget_.charge(WalkBudget::Clock::now() - started);
  }
  complete_within_budget(proc.get(), listed, to_complete);
  OwnerMap owners;
  for (const SocketRef& s : sockets) {
    const auto cached = cache_.find(s.inode);
    if (cached == cache_.end()) continue;
    for (const Holder& h : cached->second) {
      // Names are read at every collection: a process that exec()s keeps its fds but not
      // its name.
      owners[s.inode].push_back({h.pid, read_comm(proc_fd, h.pid), read_exe(proc_fd, h.pid)});
    }
  }
  return owners;
}

}  // namespace port_exporter
