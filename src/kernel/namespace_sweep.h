// SPDX-License-Identifier: Apache-2.0
// NamespaceSweep: the socket source for `namespaces: all`. The host namespace is dumped by
// the source it wraps; every other network namespace on the node (kernel/namespaces.h) by a
// sock_diag socket created inside it once, with setns on a short-lived thread, and reused;
// where setns is refused, by /proc/<pid>/net of a process inside it. Records are tagged
// with their namespace's inode. A namespace that disappears loses its socket at the next
// dump: an open socket would keep a dead namespace alive.
//
// Other namespaces get listener-only TCP dumps (and full UDP dumps): the kernel's TCP
// established hash table is shared by all namespaces, so a per-namespace dump of
// connections walks every socket on the host (docs/namespaces.md has the measurements).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/namespaces.h"
#include "kernel/socket_source.h"

namespace port_exporter {

class NamespaceSweep final : public SocketSource {
 public:
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
  void sweep(const NetworkNamespace& ns, const WatchSet& watch, std::vector<SocketRecord>& out);
  std::unique_ptr<SocketSource>* netlink_source(const NetworkNamespace& ns);

  std::unique_ptr<SocketSource> host_;
  std::string procfs_root_;
  std::string netns_dir_;
  NetnsId own_;  // the exporter's namespace: the host source covers it
  std::map<NetnsId, std::unique_ptr<SocketSource>> netlink_;
  std::map<NetnsId, Mode> logged_;  // the mode each namespace was announced with
  SweptNamespaces swept_;
};

}  // namespace port_exporter
