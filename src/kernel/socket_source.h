// SPDX-License-Identifier: Apache-2.0
// SocketSource: the one interface between the kernel and the rest of the exporter.
// Implementations: NetlinkSource (sock_diag, filtered in the kernel) and ProcfsSource
// (/proc/net fallback). Tests use recorded fixtures behind the same interface.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/collect_stats.h"
#include "model/socket.h"

namespace port_exporter {

class SocketSource {
 public:
  virtual ~SocketSource() = default;
  // Every TCP and UDP socket, IPv4 and IPv6, whose local or remote port is in `watch`
  // for its protocol. A source may return more (the aggregation filters again), never less.
  virtual Result<std::vector<SocketRecord>> dump(const WatchSet& watch) = 0;
  // "netlink" or "procfs", for logs.
  virtual std::string_view name() const = 0;
  // What a failed dump counts as in port_exporter_collect_errors_total.
  virtual ErrorSource error_source() const = 0;
  // The namespaces the last dump swept; a single-namespace source has none to report.
  virtual SweptNamespaces swept_namespaces() const { return {}; }
};

}  // namespace port_exporter
