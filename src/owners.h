// Owner lookup: socket inode -> (pid, process name) by walking <procfs>/<pid>/fd, only for
// listeners on watched ports. Cached: an unchanged set of listener inodes costs no walk.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "result.h"

namespace port_exporter {

struct Owner {
  int pid = 0;          // 0 when unknown
  std::string process;  // comm of the process; "unknown" when it could not be found
};

using OwnerMap = std::unordered_map<std::uint64_t, Owner>;

class OwnerResolver {
 public:
  explicit OwnerResolver(std::string procfs_root);

  // Owners of `inodes`. Inodes not found (another netns, a process that exited, no
  // permission) are absent from the map. Walks /proc only when `inodes` holds an inode
  // not seen before; an error means /proc could not be read at all.
  Result<OwnerMap> resolve(const std::vector<std::uint64_t>& inodes);

  // How many /proc walks were made: tests and the benchmark check the cache with it.
  std::uint64_t walks() const { return walks_; }

 private:
  std::string procfs_root_;
  OwnerMap cache_;
  std::uint64_t walks_ = 0;
};

}  // namespace port_exporter
