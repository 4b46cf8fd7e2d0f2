// SPDX-License-Identifier: Apache-2.0
// Namespace set: every network namespace on the node, found from <procfs>/<pid>/ns/net
// (deduplicated by the namespace file's device and inode) and the named ones under
// --path.netns (`ip netns`). Labels follow DESIGN.md: "host" for PID 1's, the name for a
// named one, else "netns:<inode>". Assembling the set from what was read is pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace port_exporter {

// What stat() of a namespace file (/proc/<pid>/ns/net, /run/netns/NAME) shows.
struct NetnsId {
  std::uint64_t dev = 0;
  std::uint64_t inode = 0;

  friend bool operator==(const NetnsId& a, const NetnsId& b) {
    return a.dev == b.dev && a.inode == b.inode;
  }
  friend bool operator!=(const NetnsId& a, const NetnsId& b) { return !(a == b); }
  friend bool operator<(const NetnsId& a, const NetnsId& b) {
    return a.dev != b.dev ? a.dev < b.dev : a.inode < b.inode;
  }
};

struct NetworkNamespace {
  NetnsId id;
  std::string label;  // "host", the ip netns name, or "netns:<inode>"
  bool host = false;
  std::string path;       // a file that opens it: <netns dir>/NAME, else <procfs>/<pid>/ns/net
  std::vector<int> pids;  // processes in it, ascending (none for an empty named namespace)
};

// One process's namespace, or one named namespace file, as read.
struct PidNetns {
  int pid = 0;
  NetnsId id;
};
struct NamedNetns {
  std::string name;
  NetnsId id;
};

// Pure: one entry per distinct id, sorted by id; a named namespace keeps its name as
// label and its file as path (it stays openable when its processes are gone). `host` is
// PID 1's namespace; it is labelled "host" even when it also has an ip netns name.
std::vector<NetworkNamespace> assemble_namespaces(const NetnsId& host,
                                                  const std::vector<PidNetns>& processes,
                                                  const std::vector<NamedNetns>& named,
                                                  const std::string& procfs_root,
                                                  const std::string& netns_dir);

// stat() of a namespace file, following the magic link.
Result<NetnsId> netns_id_of(const std::string& path);

// Reads <procfs>/<pid>/ns/net of every process (those we may not read are skipped: they
// need CAP_SYS_PTRACE when another user's) and <netns_dir>/* (missing dir: none). The host
// is <procfs>/1/ns/net, or, when that is unreadable, the exporter's own namespace.
Result<std::vector<NetworkNamespace>> discover_namespaces(const std::string& procfs_root,
                                                          const std::string& netns_dir);

}  // namespace port_exporter
