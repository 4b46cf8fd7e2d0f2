// SPDX-License-Identifier: Apache-2.0
// ProcfsSource: the fallback when netlink sock_diag is unavailable. Reads
// <procfs>/net/{tcp,tcp6,udp,udp6} and keeps the watched ports (filtered here, in user
// space). Parsing is the pure parse_proc_net, tested on recorded /proc/net files.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kernel/socket_source.h"
#include "model/socket.h"

namespace port_exporter {

// Every socket line of one /proc/net/{tcp,tcp6,udp,udp6} file (header line skipped).
// Addresses are printed as host-endian 32-bit words; they come out in network byte order.
// Lines with an unknown state are skipped; a malformed line is an error naming its number.
Result<std::vector<SocketRecord>> parse_proc_net(std::istream& in, Protocol protocol,
                                                 Family family);

class ProcfsSource final : public SocketSource {
 public:
  // `procfs_root` is /proc, or the host's /proc mounted in a container.
  explicit ProcfsSource(std::string procfs_root);

  // A missing file (IPv6 disabled) skips that family; an unreadable <procfs>/net is an
  // error. Protocols without watched ports are not read.
  Result<std::vector<SocketRecord>> dump(const WatchSet& watch) override;
  std::string_view name() const override { return "procfs"; }
  ErrorSource error_source() const override { return ErrorSource::kProcfs; }

 private:
  std::string procfs_root_;
};

}  // namespace port_exporter
