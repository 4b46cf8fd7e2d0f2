#include "owners.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_set>

namespace port_exporter {
namespace {

using InodeSet = std::unordered_set<std::uint64_t>;

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

template <typename T>
std::optional<T> parse_decimal(std::string_view text) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// "socket:[12345]" -> 12345.
std::optional<std::uint64_t> socket_inode(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (link.size() <= kPrefix.size() + 1 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']') {
    return std::nullopt;
  }
  return parse_decimal<std::uint64_t>(
      link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1));
}

std::string read_comm(int proc_fd, const std::string& pid_name) {
  const int fd = openat(proc_fd, (pid_name + "/comm").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "unknown";
  char buffer[64];
  ssize_t n;
  do {
    n = read(fd, buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  close(fd);
  std::string_view comm(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
  if (!comm.empty() && comm.back() == '\n') comm.remove_suffix(1);
  return comm.empty() ? "unknown" : std::string(comm);
}

// The wanted inodes among one process's fds, removed from `wanted` as they are found. A
// process that exits meanwhile (ENOENT, ESRCH) or whose fds we may not read (EACCES,
// EPERM) simply has none.
std::vector<std::uint64_t> scan_fds(int proc_fd, const std::string& pid_name, InodeSet& wanted) {
  std::vector<std::uint64_t> hits;
  const int fd_dir =
      openat(proc_fd, (pid_name + "/fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_dir < 0) return hits;
  const DirPtr fds(fdopendir(fd_dir));
  if (!fds) {
    close(fd_dir);
    return hits;
  }
  char target[64];
  while (const dirent* entry = readdir(fds.get())) {
    if (entry->d_name[0] == '.') continue;
    const ssize_t n = readlinkat(fd_dir, entry->d_name, target, sizeof target);
    if (n <= 0 || static_cast<std::size_t>(n) == sizeof target) continue;  // not a socket
    const std::optional<std::uint64_t> inode =
        socket_inode(std::string_view(target, static_cast<std::size_t>(n)));
    if (!inode || wanted.erase(*inode) == 0) continue;
    hits.push_back(*inode);
    if (wanted.empty()) break;
  }
  return hits;
}

// Walks <procfs>/<pid>/fd until every wanted inode is found or the processes run out.
Result<OwnerMap> find_owners(const std::string& procfs_root, InodeSet wanted) {
  const DirPtr proc(opendir(procfs_root.c_str()));
  if (!proc) {
    return Error{"cannot open " + procfs_root + ": " + std::generic_category().message(errno)};
  }
  OwnerMap found;
  while (!wanted.empty()) {
    const dirent* entry = readdir(proc.get());
    if (entry == nullptr) break;
    const std::optional<int> pid = parse_decimal<int>(entry->d_name);
    if (!pid || *pid <= 0) continue;  // self, net, sys, ...
    const std::string pid_name = entry->d_name;
    const std::vector<std::uint64_t> hits = scan_fds(dirfd(proc.get()), pid_name, wanted);
    if (hits.empty()) continue;
    const Owner owner{*pid, read_comm(dirfd(proc.get()), pid_name)};
    for (const std::uint64_t inode : hits) found[inode] = owner;
  }
  return found;
}

}  // namespace

OwnerResolver::OwnerResolver(std::string procfs_root) : procfs_root_(std::move(procfs_root)) {}

// cache_ holds every inode asked for since the last walk: found ones with their owner,
// the others with pid 0, so that an inode nobody owns (another netns) costs one walk, not
// one per collection.
Result<OwnerMap> OwnerResolver::resolve(const std::vector<std::uint64_t>& inodes) {
  InodeSet unknown;
  for (const std::uint64_t inode : inodes) {
    if (inode != 0 && cache_.count(inode) == 0) unknown.insert(inode);
  }
  if (!unknown.empty()) {
    ++walks_;
    Result<OwnerMap> found = find_owners(procfs_root_, std::move(unknown));
    if (!found) return Error{"owner lookup: " + found.error()};
    OwnerMap next;  // forget inodes no longer asked for: the cache stays as big as a dump
    for (const std::uint64_t inode : inodes) {
      const auto known = cache_.find(inode);
      const auto fresh = found->find(inode);
      if (fresh != found->end()) {
        next[inode] = fresh->second;
      } else if (known != cache_.end()) {
        next[inode] = known->second;
      } else if (inode != 0) {
        next[inode] = Owner{};
      }
    }
    cache_ = std::move(next);
  }
  OwnerMap owners;
  for (const std::uint64_t inode : inodes) {
    const auto it = cache_.find(inode);
    if (it != cache_.end() && it->second.pid != 0) owners[inode] = it->second;
  }
  return owners;
}

}  // namespace port_exporter
