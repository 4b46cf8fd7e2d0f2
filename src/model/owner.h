// SPDX-License-Identifier: Apache-2.0
// Owner: a process holding a socket, as a value. The kernel layer (kernel/owners.h) finds
// them; the core labels listeners with them and applies allow-lists to them.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace port_exporter {

struct Owner {
  int pid = 0;
  std::string process;  // comm of the process, valid UTF-8 ("unknown" when unreadable)
  // readlink of /proc/<pid>/exe, valid UTF-8, " (deleted)" kept: a process may rename
  // itself, not its executable. Empty when unreadable (no CAP_SYS_PTRACE, kernel thread).
  std::string exe{};

  friend bool operator==(const Owner& a, const Owner& b) {
    return a.pid == b.pid && a.process == b.process && a.exe == b.exe;
  }
};

// Every process holding the socket, by ascending pid: a socket shared by a parent and its
// children (prefork servers, socket activation) has several owners, as in `ss -p`.
using OwnerMap = std::unordered_map<std::uint64_t, std::vector<Owner>>;

}  // namespace port_exporter
