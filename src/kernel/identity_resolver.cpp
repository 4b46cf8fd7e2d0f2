// SPDX-License-Identifier: Apache-2.0
#include "kernel/identity_resolver.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include <memory>
#include <optional>
#include <utility>

#include "base/dir_ptr.h"
#include "base/file_read.h"
#include "base/log.h"

namespace port_exporter {
namespace {

// Up to `limit` entry names of `path` (none when it is missing or unreadable: a host that
// is no Kubernetes node has no pod logs). Says so once when a folder holds more.
std::vector<std::string> list_names(const std::string& path, std::size_t limit) {
  std::vector<std::string> names;
  const DirPtr dir(opendir(path.c_str()));
  if (!dir) return names;
  while (const dirent* entry = readdir(dir.get())) {
    if (entry->d_name[0] == '.') continue;
    if (names.size() == limit) {
      log::warn("pod log folder has too many entries; names past the limit are not read",
                {{"path", path}, {"limit", std::to_string(limit)}});
      break;
    }
    names.emplace_back(entry->d_name);
  }
  return names;
}

struct timespec mtime_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

struct timespec now() {
  struct timespec t {};
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

IdentityResolver::IdentityResolver(std::string procfs_root, std::string podlogs_root)
    : procfs_root_(std::move(procfs_root)), podlogs_root_(std::move(podlogs_root)) {}

std::optional<CgroupIdentity> IdentityResolver::read_cgroup(int pid) const {
  const auto content =
      read_file(procfs_root_ + "/" + std::to_string(pid) + "/cgroup", kMaxCgroupBytes);
  if (!content) return std::nullopt;
  return parse_cgroup(*content);
}

// Lists the folders again when a container or pod is not in the index and they changed
// (a container started since): once per collection at most, and never while unchanged.
void IdentityResolver::relist_if_changed() {
  if (listed_this_collection_) return;
  listed_this_collection_ = true;
  const std::string containers = podlogs_root_ + "/containers";
  const std::string pods = podlogs_root_ + "/pods";
  const struct timespec containers_mtime = mtime_of(containers);
  const struct timespec pods_mtime = mtime_of(pods);
  if (listings_ != 0 && settled_ && same_time(containers_mtime, containers_mtime_) &&
      same_time(pods_mtime, pods_mtime_)) {
    return;
  }
  const struct timespec listed_at = now();
  index_ = index_pod_logs(list_names(containers, kMaxLogEntries), list_names(pods, kMaxLogEntries));
  containers_mtime_ = containers_mtime;
  pods_mtime_ = pods_mtime;
  // A folder changed in the second before the listing may change again within the same
  // timestamp tick (a coarse clock): its mtime alone cannot be trusted until it is older.
  settled_ =
      listed_at.tv_sec - containers_mtime.tv_sec > 1 && listed_at.tv_sec - pods_mtime.tv_sec > 1;
  ++listings_;
}

ContainerIdentity IdentityResolver::name(const CgroupIdentity& id) {
  if (id.container_id.empty() && id.pod_uid.empty()) return {};
  const bool known = (!id.container_id.empty() && index_.by_container_id.count(id.container_id)) ||
                     (id.container_id.empty() && index_.by_pod_uid.count(id.pod_uid));
  if (!known) relist_if_changed();
  return name_container(id, index_);
}

ContainerIdentity IdentityResolver::of_process(int pid) {
  return name(read_cgroup(pid).value_or(CgroupIdentity{}));
}

ContainerIdentity IdentityResolver::of_namespace(const std::vector<int>& pids) {
  std::vector<CgroupIdentity> seen;  // a process outside any container disagrees with all
  for (std::size_t i = 0; i < pids.size() && i < kMaxNamespaceProbes; ++i) {
    if (auto id = read_cgroup(pids[i])) seen.push_back(std::move(*id));  // else: exited
  }
  if (seen.empty()) return {};
  CgroupIdentity agreed = seen.front();
  for (const CgroupIdentity& id : seen) {
    if (id.container_id != agreed.container_id) agreed.container_id.clear();
    if (id.pod_uid != agreed.pod_uid) agreed.pod_uid.clear();
  }
  ContainerIdentity out = name(agreed);
  if (agreed.container_id.empty()) out.k8s_container_name.clear();
  return out;
}

}  // namespace port_exporter
