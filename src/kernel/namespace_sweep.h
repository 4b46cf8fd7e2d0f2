// SPDX-License-Identifier: Apache-2.0
// NamespaceSweep: the socket source for `namespaces: all`. The host namespace is dumped by
// the source it wraps; every other network namespace on the node (kernel/namespaces.h) by a
// sock_diag socket created inside it once, with setns on a short-lived thread, and reused;
// where setns is refused, by /proc/<pid>/net of a process inside it. Records are tagged
// with their namespace's inode. A namespace that disappears loses its socket at the next
// dump: an open socket would keep a dead namespace alive.
//
// Other namespaces get listener-only TCP dumps (and full UDP dumps) at every collection: the
// kernel's TCP established hash table is shared by all namespaces, so a per-namespace dump
// of connections walks every socket on the host (~300 ns each: 30 ms at 100k sockets; see
// docs/namespaces.md). Their TCP connections come from an all-states dump, held in between:
// at a namespace's first sweep, as soon as a watched listener appears in it, every
// kConnectionsEvery-th collection while it has a watched listener or connections, every
// kQuietEvery-th otherwise; and all of them within a CPU budget (kConnectionsShare of one
// core), most urgent first, so the cost stays bounded whatever the number of namespaces and
// host sockets. In the procfs mode the files list every state: connections are exact at
// every collection there (at the cost of that walk, twice: tcp and tcp6).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/namespaces.h"
#include "kernel/netlink_source.h"
#include "kernel/owners.h"
#include "kernel/socket_source.h"
#include "kernel/sockstat.h"

namespace port_exporter {

class NamespaceSweep final : public SocketSource {
 public:
  // 150 s at interval 15s, for a namespace with a watched listener or connections.
  static constexpr std::uint64_t kConnectionsEvery = 10;
  // 15 minutes at interval 15s, for one with neither (where connections on a watched port
  // are rare: an outbound connection from it, or one outliving its listener).
  static constexpr std::uint64_t kQuietEvery = 60;
  // CPU time the all-states dumps may take (the kernel's walk is charged to the dumping
  // thread): 0.3% of one core, up to 500 ms at once. With the host's own dump and the listener
  // dumps that keeps a node with 200 namespaces and 100k sockets under 1% of a core at 15s.
  static constexpr double kConnectionsShare = 0.003;
  static constexpr std::chrono::milliseconds kConnectionsBurst{500};

  NamespaceSweep(std::unique_ptr<SocketSource> host, std::string procfs_root,
                 std::string netns_dir);

  // The host's records for every watched port; with ports watched everywhere, each other
  // namespace's listeners (TCP) and sockets (UDP) on those ports. A namespace that cannot
  // be read is counted in swept_namespaces().unreadable, not an error.
  Result<std::vector<SocketRecord>> dump(const WatchSet& watch) override;
  std::string_view name() const override { return host_->name(); }
  ErrorSource error_source() const override { return host_->error_source(); }
  SweptNamespaces swept_namespaces() const override { return swept_; }

  // Our descriptors bound to other namespaces (a sock_diag socket, and the two sockstat
  // files where they opened): what must be closed when a namespace disappears.
  std::size_t namespace_fds() const { return netlink_.size() + 2 * sockstat_.size(); }
  // Namespaces whose socket counts are read before dumping (tests).
  std::size_t counted_namespaces() const { return sockstat_.size(); }
  // Dumps left out because the namespace had no socket of that protocol (tests, bench).
  std::uint64_t dumps_skipped() const { return dumps_skipped_; }
  // Tests: the budget of the all-states dumps.
  void set_connections_budget(WalkBudget budget) { budget_ = budget; }

 private:
  enum class Mode { kNetlink, kProcfs };
  using Clock = std::chrono::steady_clock;
  // Per namespace: its TCP connections as its last all-states dump found them, and when.
  struct Held {
    std::optional<std::uint64_t> last_full;  // collection number
    Clock::time_point since;                 // of the connections held (first seen: none yet)
    bool listener = false;                   // a watched TCP listener at the last sweep
    bool listener_appeared = false;          // since the last dump
    std::vector<SocketRecord> connections;
  };

  std::optional<Mode> sweep_listeners(const NetworkNamespace& ns, const WatchSet& watch,
                                      std::vector<SocketRecord>& out);
  std::vector<NetnsId> due_for_connections(const std::vector<NetworkNamespace>& set) const;
  void dump_connections(const std::vector<NetworkNamespace>& set, const WatchSet& watch);
  NetlinkSource* netlink_source(const NetworkNamespace& ns);
  WatchSet needed(const NetworkNamespace& ns, const WatchSet& watch);
  void forget_absent(const std::vector<NetworkNamespace>& set);

  std::unique_ptr<SocketSource> host_;
  std::string procfs_root_;
  std::string netns_dir_;
  NetnsId own_;  // the exporter's namespace: the host source covers it
  std::map<NetnsId, std::unique_ptr<NetlinkSource>> netlink_;
  std::map<NetnsId, SockstatReader> sockstat_;  // with netlink_, where it could be opened
  std::map<NetnsId, Mode> logged_;              // the mode each namespace was announced with
  std::map<NetnsId, Held> held_;                // netlink-mode namespaces
  WalkBudget budget_{kConnectionsShare, kConnectionsBurst};
  std::uint64_t collection_ = 0;
  std::uint64_t dumps_skipped_ = 0;
  SweptNamespaces swept_;
};

}  // namespace port_exporter
