// SPDX-License-Identifier: Apache-2.0
// NamespaceSweep: the socket source for `namespaces: all`. The host namespace is dumped by
// the source it wraps; every other network namespace on the node (kernel/namespaces.h) by a
// sock_diag socket created inside it once, with setns on a short-lived thread, and reused;
// where setns is refused, by /proc/<pid>/net of a process inside it. Records are tagged
// with their namespace's inode. A namespace that disappears loses its socket at the next
// dump: an open socket would keep a dead namespace alive.
//
// Other namespaces get listener-only TCP dumps (and full UDP dumps) at most collections: the
// kernel's TCP established hash table is shared by all namespaces, so a per-namespace dump
// of connections walks every socket on the host (docs/namespaces.md has the measurements).
// Their TCP connections are dumped at a namespace's first sweep and every
// kConnectionsEvery-th collection after it, and held in between; how many namespaces get
// that full dump in one collection is capped (due_for_connections).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kernel/namespaces.h"
#include "kernel/netlink_source.h"
#include "kernel/socket_source.h"

namespace port_exporter {

class NamespaceSweep final : public SocketSource {
 public:
  // 150 s at interval 15s: ~1 ms a collection per namespace instead of ~10 (3k host sockets).
  static constexpr std::uint64_t kConnectionsEvery = 10;
  // Full dumps a collection may make whatever the number of namespaces.
  static constexpr std::size_t kMinFullDumps = 8;

  NamespaceSweep(std::unique_ptr<SocketSource> host, std::string procfs_root,
                 std::string netns_dir);

  // The host's records for every watched port; with ports watched everywhere, each other
  // namespace's listeners (TCP) and sockets (UDP) on those ports. A namespace that cannot
  // be read is counted in swept_namespaces().unreadable, not an error.
  Result<std::vector<SocketRecord>> dump(const WatchSet& watch) override;
  std::string_view name() const override { return host_->name(); }
  ErrorSource error_source() const override { return host_->error_source(); }
  SweptNamespaces swept_namespaces() const override { return swept_; }

  // Namespaces holding an open socket of ours: what must drop when one disappears.
  std::size_t open_sockets() const { return netlink_.size(); }

 private:
  enum class Mode { kNetlink, kProcfs };
  std::set<NetnsId> due_for_connections(const std::vector<NetworkNamespace>& set);
  void sweep(const NetworkNamespace& ns, const WatchSet& watch, bool full,
             std::vector<SocketRecord>& out);
  NetlinkSource* netlink_source(const NetworkNamespace& ns);

  std::unique_ptr<SocketSource> host_;
  std::string procfs_root_;
  std::string netns_dir_;
  NetnsId own_;  // the exporter's namespace: the host source covers it
  std::map<NetnsId, std::unique_ptr<NetlinkSource>> netlink_;
  std::map<NetnsId, Mode> logged_;  // the mode each namespace was announced with
  // Per namespace: sweeps so far, and its TCP connections as the last full dump found them.
  // Per namespace: its TCP connections as its last full dump found them, and when.
  struct Held {
    std::optional<std::uint64_t> last_full;
    std::vector<SocketRecord> connections;
  };
  std::map<NetnsId, Held> held_;
  std::uint64_t collection_ = 0;
  SweptNamespaces swept_;
};

}  // namespace port_exporter
