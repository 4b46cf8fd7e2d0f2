// SPDX-License-Identifier: Apache-2.0
#include "kernel/namespace_sweep.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <utility>

#include "base/log.h"
#include "kernel/netlink_source.h"
#include "kernel/netns_socket.h"
#include "kernel/procfs_source.h"

namespace port_exporter {
namespace {

constexpr std::size_t kPidsKept = 8;

// Listeners only for TCP: the procfs files list every state, netlink was asked for LISTEN.
void keep_swept(std::vector<SocketRecord>& records, std::uint64_t netns,
                std::vector<SocketRecord>& out) {
  for (SocketRecord& r : records) {
    if (r.protocol == Protocol::kTcp && !is_listener(r)) continue;
    r.netns = netns;
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
std::unique_ptr<SocketSource>* NamespaceSweep::netlink_source(const NetworkNamespace& ns) {
  if (const auto found = netlink_.find(ns.id); found != netlink_.end()) return &found->second;
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
  return &netlink_.emplace(ns.id, std::move(source).value()).first->second;
}

void NamespaceSweep::sweep(const NetworkNamespace& ns, const WatchSet& watch,
                           std::vector<SocketRecord>& out) {
  Mode mode = Mode::kNetlink;
  Result<std::vector<SocketRecord>> records = Error{"no process inside to read"};
  if (std::unique_ptr<SocketSource>* netlink = netlink_source(ns)) {
    records = (*netlink)->dump(watch);
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
  keep_swept(records.value(), ns.id.inode, out);
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
  std::map<NetnsId, bool> present;
  for (const NetworkNamespace& ns : set) {
    present[ns.id] = true;
    if (ns.host || ns.id == own_) continue;  // the host source's
    swept_.labels[ns.id.inode] = ns.label;
    swept_.pids[ns.id.inode].assign(
        ns.pids.begin(),
        ns.pids.begin() + static_cast<std::ptrdiff_t>(std::min(ns.pids.size(), kPidsKept)));
    sweep(ns, everywhere, records.value());
  }
  // Gone (or no longer watched): close its socket, or the namespace would stay alive.
  for (auto it = netlink_.begin(); it != netlink_.end();) {
    it = present.count(it->first) != 0 ? std::next(it) : netlink_.erase(it);
  }
  for (auto it = logged_.begin(); it != logged_.end();) {
    it = present.count(it->first) != 0 ? std::next(it) : logged_.erase(it);
  }
  return records;
}

}  // namespace port_exporter
