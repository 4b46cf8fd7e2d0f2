// SPDX-License-Identifier: Apache-2.0
#include "kernel/namespace_sweep.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
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

// Tagged with their namespace. TCP connections go to `connections` (a full dump's, held
// until the next) or, between full dumps, are dropped: the procfs files list every state.
void keep_swept(std::vector<SocketRecord>& records, std::uint64_t netns,
                std::vector<SocketRecord>& out, std::vector<SocketRecord>* connections) {
  for (SocketRecord& r : records) {
    r.netns = netns;
    if (r.protocol == Protocol::kTcp && !is_listener(r)) {
      if (connections != nullptr) connections->push_back(r);
      continue;
    }
    out.push_back(r);
  }
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
  if (source) source.value()->set_tcp_states(kDiagListenOnly);
  if (!source) {
    if (logged_.count(ns.id) == 0) {
      log::warn("cannot enter network namespace; reading /proc/<pid>/net instead",
                {{"netns", ns.label}, {"err", source.error()}});
    }
    return nullptr;
  }
  return netlink_.emplace(ns.id, std::move(source).value()).first->second.get();
}

// The namespaces whose TCP connections are dumped this time: those never dumped, then the
// longest since, among those due (kConnectionsEvery collections since their last), at most
// max(kMinFullDumps, ceil(namespaces / kConnectionsEvery)): a node's namespaces found at
// start are spread over the first collections instead of all walking the host's table at
// once. Ties: the newest namespace (largest inode) first.
std::set<NetnsId> NamespaceSweep::due_for_connections(const std::vector<NetworkNamespace>& set) {
  std::vector<std::pair<std::uint64_t, NetnsId>> due;  // (collections since, id)
  for (const NetworkNamespace& ns : set) {
    if (ns.host || ns.id == own_) continue;
    const auto held = held_.find(ns.id);
    const std::uint64_t since = held == held_.end() || !held->second.last_full
                                    ? UINT64_MAX
                                    : collection_ - *held->second.last_full;
    if (since >= kConnectionsEvery) due.emplace_back(since, ns.id);
  }
  std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : b.second < a.second;
  });
  const std::size_t quota =
      std::max(kMinFullDumps, (set.size() + kConnectionsEvery - 1) / kConnectionsEvery);
  std::set<NetnsId> chosen;
  for (std::size_t i = 0; i < due.size() && i < quota; ++i) chosen.insert(due[i].second);
  return chosen;
}

void NamespaceSweep::sweep(const NetworkNamespace& ns, const WatchSet& watch, bool full,
                           std::vector<SocketRecord>& out) {
  Mode mode = Mode::kNetlink;
  Held& held = held_[ns.id];
  Result<std::vector<SocketRecord>> records = Error{"no process inside to read"};
  if (NetlinkSource* netlink = netlink_source(ns)) {
    netlink->set_tcp_states(full ? kDiagAllStates : kDiagListenOnly);
    records = netlink->dump(watch);
    if (!records) netlink_.erase(ns.id);  // reopened (entered again) next time
  } else if (!ns.pids.empty()) {
    mode = Mode::kProcfs;
    records = ProcfsSource(procfs_root_ + "/" + std::to_string(ns.pids.front())).dump(watch);
  }
  if (!records) {
    ++swept_.unreadable;
    log::debug("network namespace not swept", {{"netns", ns.label}, {"err", records.error()}});
    return;
  }
  ++(mode == Mode::kNetlink ? swept_.via_netlink : swept_.via_procfs);
  if (const auto seen = logged_.find(ns.id); seen == logged_.end() || seen->second != mode) {
    log::info("sweeping network namespace",
              {{"netns", ns.label}, {"mode", mode == Mode::kNetlink ? "netlink" : "procfs"}});
    logged_[ns.id] = mode;
  }
  if (full) {
    held.connections.clear();
    held.last_full = collection_;
  }
  keep_swept(records.value(), ns.id.inode, out, full ? &held.connections : nullptr);
  out.insert(out.end(), held.connections.begin(), held.connections.end());
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
  const std::set<NetnsId> full = due_for_connections(set);
  std::map<NetnsId, bool> present;
  for (const NetworkNamespace& ns : set) {
    present[ns.id] = true;
    if (ns.host || ns.id == own_) continue;  // the host source's
    swept_.labels[ns.id.inode] = ns.label;
    swept_.pids[ns.id.inode].assign(
        ns.pids.begin(),
        ns.pids.begin() + static_cast<std::ptrdiff_t>(std::min(ns.pids.size(), kPidsKept)));
    sweep(ns, everywhere, full.count(ns.id) != 0, records.value());
  }
  // Gone (or no longer watched): close its socket, or the namespace would stay alive.
  for (auto it = netlink_.begin(); it != netlink_.end();) {
    it = present.count(it->first) != 0 ? std::next(it) : netlink_.erase(it);
  }
  for (auto it = logged_.begin(); it != logged_.end();) {
    it = present.count(it->first) != 0 ? std::next(it) : logged_.erase(it);
  }
  for (auto it = held_.begin(); it != held_.end();) {
    it = present.count(it->first) != 0 ? std::next(it) : held_.erase(it);
  }
  return records;
}

}  // namespace port_exporter
