// SPDX-License-Identifier: Apache-2.0
#include "kernel/owners.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_set>

#include "base/errno_text.h"
#include "base/parse_number.h"
#include "base/utf8.h"

namespace port_exporter {
namespace {

using InodeSet = std::unordered_set<std::uint64_t>;

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

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
void scan_fds(int proc_fd, const char* pid_name, int pid, const InodeSet& wanted,
              OwnerResolver::HolderMap& found) {
  const int fd_dir =
      openat(proc_fd, (std::string(pid_name) + "/fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

OwnerResolver::OwnerResolver(std::string procfs_root, RootCheck check)
    : procfs_root_(std::move(procfs_root)), root_check_(check) {}

bool OwnerResolver::cache_still_valid(int proc_fd, const std::vector<std::uint64_t>& inodes) const {
  for (const std::uint64_t inode : inodes) {
    const auto cached = cache_.find(inode);
    if (cached == cache_.end()) return false;  // a new listener
    for (const Holder& h : cached->second) {
      const std::string link = std::to_string(h.pid) + "/fd/" + std::to_string(h.fd);
      if (link_inode(proc_fd, link.c_str()) != inode) return false;  // closed, exited, reused
    }
  }
  return true;
}

// Reads the fds of every process under `proc` (or only of those the previous scan did not
// see) for `inodes`, without stopping at the first holder: a shared socket has several,
// and the allow-list accepts it when any of them is allowed.
void OwnerResolver::scan(DIR* proc, const std::vector<std::uint64_t>& inodes,
                         bool only_new_processes) {
  const InodeSet wanted(inodes.begin(), inodes.end());
  std::vector<int> pids;
  while (const dirent* entry = readdir(proc)) {
    const std::optional<int> pid = parse_number<int>(entry->d_name);
    if (!pid || *pid <= 0) continue;  // self, net, sys, ...
    pids.push_back(*pid);
    if (only_new_processes && std::binary_search(known_pids_.begin(), known_pids_.end(), *pid)) {
      continue;
    }
    scan_fds(dirfd(proc), entry->d_name, *pid, wanted, cache_);
  }
  std::sort(pids.begin(), pids.end());
  known_pids_ = std::move(pids);
  for (auto& [inode, holders] : cache_) {
    std::sort(holders.begin(), holders.end(),
              [](const Holder& a, const Holder& b) { return a.pid < b.pid; });
  }
}

Result<OwnerMap> OwnerResolver::resolve(const std::vector<std::uint64_t>& all_inodes) {
  if (root_check_ == RootCheck::kProcfsOnly) {
    const Result<bool> procfs = check_procfs(procfs_root_);
    if (!procfs) return Error{"owner lookup: " + procfs.error()};
  }
  std::vector<std::uint64_t> inodes;  // 0: a socket without an inode (a request socket)
  std::copy_if(all_inodes.begin(), all_inodes.end(), std::back_inserter(inodes),
               [](std::uint64_t inode) { return inode != 0; });
  if (inodes.empty()) return OwnerMap{};
  const DirPtr proc(opendir(procfs_root_.c_str()));
  if (!proc) {
    return Error{"owner lookup: cannot open " + procfs_root_ + ": " + errno_message(errno)};
  }
  const int proc_fd = dirfd(proc.get());
  if (!cache_still_valid(proc_fd, inodes)) {
    cache_.clear();
    for (const std::uint64_t inode : inodes) cache_[inode];  // not found: cached as empty
    scan(proc.get(), inodes, /*only_new_processes=*/false);
    resolves_since_walk_ = 0;
    ++walks_;
  } else if (++resolves_since_walk_ >= kRefreshEvery) {
    // A process that inherits a socket later (a service socket-activated by systemd) is a
    // new process: only those need their fds read.
    scan(proc.get(), inodes, /*only_new_processes=*/true);
    resolves_since_walk_ = 0;
  }
  OwnerMap owners;
  for (const std::uint64_t inode : inodes) {
    for (const Holder& h : cache_[inode]) {
      // Names are read at every collection: a process that exec()s keeps its fds but not
      // its name.
      owners[inode].push_back({h.pid, read_comm(proc_fd, h.pid), read_exe(proc_fd, h.pid)});
    }
  }
  return owners;
}

}  // namespace port_exporter
