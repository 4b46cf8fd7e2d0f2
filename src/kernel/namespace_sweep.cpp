// SPDX-License-Identifier: Apache-2.0
#include "kernel/namespace_sweep.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <utility>

#include "base/log.h"
#include "kernel/netlink_source.h"
#include "kernel/netns_socket.h"
#include "kernel/procfs_source.h"

namespace port_exporter {
namespace {

constexpr std::size_t kPidsKept = 8;

// The calling thread's CPU time, the kernel's work for its syscalls included.
std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

bool has_tcp_listener(const std::vector<SocketRecord>& records) {
  return std::any_of(records.begin(), records.end(), [](const SocketRecord& r) {
    return r.protocol == Protocol::kTcp && is_listener(r);
  });
}

}  // namespace

NamespaceSweep::NamespaceSweep(std::unique_ptr<SocketSource> host, std::string procfs_root,
                               std::string netns_dir)
    : host_(std::move(host)),
      procfs_root_(std::move(procfs_root)),
      netns_dir_(std::move(netns_dir)),
      own_([] {
        const Result<NetnsId> own = netns_id_of("/proc/self/ns/net");
        return own ? *own : NetnsId{};
      }()) {}

// The namespace's socket, created on first use and kept; null when setns is refused.
NetlinkSource* NamespaceSweep::netlink_source(const NetworkNamespace& ns) {
  if (const auto found = netlink_.find(ns.id); found != netlink_.end()) return found->second.get();
  auto channel = SockDiagChannel::open(
      [path = ns.path] { return open_in_netns(path, open_sock_diag_socket); });
  Result<std::unique_ptr<NetlinkSource>> source =
      channel ? NetlinkSource::open(std::move(channel).value())
              : Result<std::unique_ptr<NetlinkSource>>(Error{channel.error()});
  if (!source) {
    if (logged_.count(ns.id) == 0) {
      log::warn("cannot enter network namespace; reading /proc/<pid>/net instead",
                {{"netns", ns.label}, {"err", source.error()}});
    }
    return nullptr;
  }
  source.value()->set_tcp_states(kDiagListenOnly);
  if (Result<SockstatReader> counts = SockstatReader::open_in(ns.path)) {
    sockstat_.emplace(ns.id, std::move(counts).value());
  } else {
    log::debug("no socket counts for network namespace; dumping every protocol",
               {{"netns", ns.label}, {"err", counts.error()}});
  }
  return netlink_.emplace(ns.id, std::move(source).value()).first->second.get();
}

// `watch` without the protocols that have no socket in the namespace, by its counts.
WatchSet NamespaceSweep::needed(const NetworkNamespace& ns, const WatchSet& watch) {
  WatchSet out = watch;
  const auto reader = sockstat_.find(ns.id);
  const std::optional<SocketsInUse> counts =
      reader != sockstat_.end() ? reader->second.read() : std::nullopt;
  if (!counts) return out;
  if (counts->tcp == 0 && !out.tcp.empty()) {
    out.tcp.clear();
    ++dumps_skipped_;
  }
  if (counts->udp == 0 && !out.udp.empty()) {
    out.udp.clear();
    ++dumps_skipped_;
  }
  return out;
}

// Listeners (TCP LISTEN-only dump) and UDP sockets, into `out`; in the procfs mode every TCP
// state too. The mode used, or nothing when the namespace could not be read.
std::optional<NamespaceSweep::Mode> NamespaceSweep::sweep_listeners(
    const NetworkNamespace& ns, const WatchSet& watch, std::vector<SocketRecord>& out) {
  Mode mode = Mode::kNetlink;
  Result<std::vector<SocketRecord>> records = Error{"no process inside to read"};
  if (NetlinkSource* netlink = netlink_source(ns)) {
    records = netlink->dump(needed(ns, watch));
    if (!records) {  // reopened (entered again) next time
      netlink_.erase(ns.id);
      sockstat_.erase(ns.id);
    }
  } else if (!ns.pids.empty()) {
    mode = Mode::kProcfs;
    records = ProcfsSource(procfs_root_ + "/" + std::to_string(ns.pids.front())).dump(watch);
  }
  if (!records) {
    ++swept_.unreadable;
    log::debug("network namespace not swept", {{"netns", ns.label}, {"err", records.error()}});
    return std::nullopt;
  }
  ++(mode == Mode::kNetlink ? swept_.via_netlink : swept_.via_procfs);
  if (const auto seen = logged_.find(ns.id); seen == logged_.end() || seen->second != mode) {
    log::info("sweeping network namespace",
              {{"netns", ns.label}, {"mode", mode == Mode::kNetlink ? "netlink" : "procfs"}});
    logged_[ns.id] = mode;
  }
  for (SocketRecord& r : records.value()) r.netns = ns.id.inode;
  if (mode == Mode::kNetlink) {
    const auto [it, first_seen] = held_.try_emplace(ns.id);
    Held& held = it->second;
    if (first_seen) held.since = Clock::now();
    const bool listener = has_tcp_listener(records.value());
    held.listener_appeared = held.listener_appeared || (listener && !held.listener);
    held.listener = listener;
  } else {
    held_.erase(ns.id);  // the files gave its connections: exact, nothing held
  }
  out.insert(out.end(), records.value().begin(), records.value().end());
  return mode;
}

// The netlink-mode namespaces whose TCP connections should be dumped now, most urgent
// first: (0) a watched listener there never dumped or appeared since the last dump; (1)
// with a watched listener or connections, due every kConnectionsEvery collections; (2)
// never dumped, without either; (3) the quiet ones, due every kQuietEvery. Within each: the
// longest since first, then the newest namespace (largest inode).
std::vector<NetnsId> NamespaceSweep::due_for_connections(
    const std::vector<NetworkNamespace>& swept) const {
  struct Due {
    int rank;
    std::uint64_t since;
    NetnsId id;
  };
  std::vector<Due> due;
  for (const NetworkNamespace& ns : swept) {
    const Held& held = held_.at(ns.id);
    const std::uint64_t since = held.last_full ? collection_ - *held.last_full : UINT64_MAX;
    const bool active = held.listener || !held.connections.empty();
    if (held.listener && (!held.last_full || held.listener_appeared)) {
      due.push_back({0, since, ns.id});
    } else if (active && since >= kConnectionsEvery) {
      due.push_back({1, since, ns.id});
    } else if (!held.last_full) {
      due.push_back({2, since, ns.id});
    } else if (since >= kQuietEvery) {
      due.push_back({3, since, ns.id});
    }
  }
  std::sort(due.begin(), due.end(), [](const Due& a, const Due& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.since != b.since ? a.since > b.since : b.id < a.id;
  });
  std::vector<NetnsId> ids;
  ids.reserve(due.size());
  for (const Due& d : due) ids.push_back(d.id);
  return ids;
}

// All-states TCP dumps of the due namespaces, while the budget lasts; each replaces the
// connections held for its namespace.
void NamespaceSweep::dump_connections(const std::vector<NetworkNamespace>& swept,
                                      const WatchSet& watch) {
  const WatchSet tcp_only{watch.tcp, {}};
  for (const NetnsId& id : due_for_connections(swept)) {
    if (!budget_.available(Clock::now())) break;  // the rest wait, the most urgent first
    NetlinkSource& netlink = *netlink_.at(id);
    const std::chrono::nanoseconds started = thread_cpu_time();
    netlink.set_tcp_states(kDiagAllStates);
    Result<std::vector<SocketRecord>> records = netlink.dump(tcp_only);
    netlink.set_tcp_states(kDiagListenOnly);
    budget_.charge(thread_cpu_time() - started);
    Held& held = held_.at(id);
    if (!records) {
      log::debug("network namespace connections not dumped",
                 {{"netns", swept_.labels[id.inode]}, {"err", records.error()}});
      continue;  // the counts held stay, retried at the next collection
    }
    held.connections.clear();
    for (SocketRecord& r : records.value()) {
      r.netns = id.inode;
      if (r.protocol == Protocol::kTcp && !is_listener(r)) held.connections.push_back(r);
    }
    held.last_full = collection_;
    held.since = Clock::now();
    held.listener_appeared = false;
  }
}

// Gone (or no longer watched): close its socket, or the namespace would stay alive.
void NamespaceSweep::forget_absent(const std::vector<NetworkNamespace>& set) {
  std::set<NetnsId> present;
  for (const NetworkNamespace& ns : set) present.insert(ns.id);
  const auto prune = [&present](auto& map) {
    for (auto it = map.begin(); it != map.end();) {
      it = present.count(it->first) != 0 ? std::next(it) : map.erase(it);
    }
  };
  prune(netlink_);
  prune(sockstat_);
  prune(logged_);
  prune(held_);
}

Result<std::vector<SocketRecord>> NamespaceSweep::dump(const WatchSet& watch) {
  Result<std::vector<SocketRecord>> records = host_->dump(watch);
  if (!records) return records;
  swept_ = SweptNamespaces{};
  const WatchSet everywhere = watch.everywhere();
  std::vector<NetworkNamespace> set;
  if (!everywhere.empty()) {
    auto found = discover_namespaces(procfs_root_, netns_dir_);
    if (!found) return Error{"namespace discovery: " + found.error()};
    set = std::move(found).value();
  }
  ++collection_;
  std::vector<NetworkNamespace> via_netlink;
  for (const NetworkNamespace& ns : set) {
    if (ns.host || ns.id == own_) continue;  // the host source's
    swept_.labels[ns.id.inode] = ns.label;
    swept_.pids[ns.id.inode].assign(
        ns.pids.begin(),
        ns.pids.begin() + static_cast<std::ptrdiff_t>(std::min(ns.pids.size(), kPidsKept)));
    if (sweep_listeners(ns, everywhere, records.value()) == Mode::kNetlink) {
      via_netlink.push_back(ns);
    }
  }
  dump_connections(via_netlink, everywhere);
  const Clock::time_point now = Clock::now();
  for (const NetworkNamespace& ns : via_netlink) {
    const Held& held = held_.at(ns.id);
    records.value().insert(records.value().end(), held.connections.begin(), held.connections.end());
    swept_.connections_age_seconds = std::max(
        swept_.connections_age_seconds, std::chrono::duration<double>(now - held.since).count());
  }
  forget_absent(set);
  return records;
}

}  // namespace port_exporter
