// SPDX-License-Identifier: Apache-2.0
#include "kernel/namespaces.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include "base/dir_ptr.h"
#include "base/errno_text.h"
#include "base/parse_number.h"

namespace port_exporter {
namespace {

std::vector<PidNetns> read_process_namespaces(const std::string& procfs_root, DIR* proc) {
  std::vector<PidNetns> out;
  while (const dirent* entry = readdir(proc)) {
    const std::optional<int> pid = parse_number<int>(entry->d_name);
    if (!pid || *pid <= 0) continue;
    // ENOENT (exited), EACCES (another user's, without CAP_SYS_PTRACE): not counted.
    const Result<NetnsId> id = netns_id_of(procfs_root + "/" + entry->d_name + "/ns/net");
    if (id) out.push_back({*pid, *id});
  }
  return out;
}

std::vector<NamedNetns> read_named_namespaces(const std::string& netns_dir) {
  std::vector<NamedNetns> out;
  const DirPtr dir(opendir(netns_dir.c_str()));
  if (!dir) return out;  // no ip netns on this node
  while (const dirent* entry = readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    // A file left by `ip netns add` whose mount is gone is on the parent fs, not nsfs:
    // its inode is no namespace. Only bind-mounted nsfs files count.
    std::string path = netns_dir;
    path.append("/").append(name);
    const Result<NetnsId> id = netns_id_of(path);
    if (id) out.push_back({name, *id});
  }
  return out;
}

}  // namespace

std::vector<NetworkNamespace> assemble_namespaces(const NetnsId& host,
                                                  const std::vector<PidNetns>& processes,
                                                  const std::vector<NamedNetns>& named,
                                                  const std::string& procfs_root,
                                                  const std::string& netns_dir) {
  std::map<NetnsId, NetworkNamespace> by_id;
  const auto entry = [&](const NetnsId& id) -> NetworkNamespace& {
    NetworkNamespace& ns = by_id[id];
    if (ns.label.empty()) {
      ns.id = id;
      ns.host = id == host;
      ns.label = ns.host ? "host" : "netns:" + std::to_string(id.inode);
    }
    return ns;
  };
  for (const PidNetns& p : processes) {
    NetworkNamespace& ns = entry(p.id);
    ns.pids.push_back(p.pid);
  }
  for (auto& [id, ns] : by_id) {
    std::sort(ns.pids.begin(), ns.pids.end());
    ns.path = procfs_root + "/" + std::to_string(ns.pids.front()) + "/ns/net";
  }
  for (const NamedNetns& n : named) {
    NetworkNamespace& ns = entry(n.id);
    // Two names for one namespace: the first in name order, so the label is stable.
    if (ns.host) continue;
    if (ns.label.rfind("netns:", 0) == 0 || n.name < ns.label) {
      ns.label = n.name;
      ns.path = netns_dir + "/" + n.name;
    }
  }
  std::vector<NetworkNamespace> out;
  out.reserve(by_id.size());
  for (auto& [id, ns] : by_id) out.push_back(std::move(ns));
  return out;
}

Result<NetnsId> netns_id_of(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return Error{path + ": " + errno_message(errno)};
  return NetnsId{static_cast<std::uint64_t>(status.st_dev),
                 static_cast<std::uint64_t>(status.st_ino)};
}

Result<std::vector<NetworkNamespace>> discover_namespaces(const std::string& procfs_root,
                                                          const std::string& netns_dir) {
  const DirPtr proc(opendir(procfs_root.c_str()));
  if (!proc) return Error{"cannot open " + procfs_root + ": " + errno_message(errno)};
  Result<NetnsId> host = netns_id_of(procfs_root + "/1/ns/net");
  if (!host) host = netns_id_of("/proc/self/ns/net");
  if (!host) return Error{"cannot tell the host network namespace: " + host.error()};
  return assemble_namespaces(*host, read_process_namespaces(procfs_root, proc.get()),
                             read_named_namespaces(netns_dir), procfs_root, netns_dir);
}

}  // namespace port_exporter
