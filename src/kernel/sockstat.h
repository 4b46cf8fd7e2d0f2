// SPDX-License-Identifier: Apache-2.0
// A network namespace's socket counts (/proc/net/sockstat and sockstat6, per namespace):
// how many TCP and UDP sockets are hashed there, i.e. could appear in a sock_diag dump.
// The sweep of another namespace reads them first and skips the dumps of a protocol with
// none: each dump walks a table shared by every namespace (16k buckets here), the counts
// are two small reads. The files are opened once, inside the namespace (the open file
// stays bound to the namespace it was opened in, like a socket), and re-read from offset 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace port_exporter {

struct SocketsInUse {
  std::uint64_t tcp = 0;  // TCP and TCP6 "inuse": listeners and connections, TIME_WAIT aside
  std::uint64_t udp = 0;  // UDP and UDP6 "inuse": bound sockets
};

// The "inuse" count of the line starting "<protocol>: " (e.g. "TCP", "UDP6") in sockstat
// text; nothing when the line or its number is missing or malformed.
std::optional<std::uint64_t> parse_sockstat_inuse(std::string_view text, std::string_view protocol);

class SockstatReader {
 public:
  // Opens <procfs of a thread inside the namespace>/net/sockstat{,6}, entering the namespace
  // at `netns_path` (needs CAP_SYS_ADMIN, as the netlink mode does).
  static Result<SockstatReader> open_in(const std::string& netns_path);
  SockstatReader(SockstatReader&& other) noexcept;
  SockstatReader& operator=(SockstatReader&& other) noexcept;
  SockstatReader(const SockstatReader&) = delete;
  SockstatReader& operator=(const SockstatReader&) = delete;
  ~SockstatReader();

  // The counts now; nothing when a file cannot be read or parsed (then dump anyway).
  std::optional<SocketsInUse> read() const;

 private:
  SockstatReader(int v4, int v6) : v4_(v4), v6_(v6) {}
  int v4_ = -1;
  int v6_ = -1;
};

}  // namespace port_exporter
