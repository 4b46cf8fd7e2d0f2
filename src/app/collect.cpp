// SPDX-License-Identifier: Apache-2.0
#include "app/collect.h"

#include <utility>

namespace port_exporter {
namespace {

// Each owner's container and pod; for a listener in another namespace whose owner is unknown,
// what the processes of that namespace agree on.
NamespaceContainers identify(const Config& config, const std::vector<SocketRecord>& records,
                             const SweptNamespaces& namespaces, OwnerMap& owners,
                             IdentityResolver& identity) {
  identity.begin_collection();
  for (auto& [inode, holders] : owners) {
    for (Owner& owner : holders) owner.container = identity.of_process(owner.pid);
  }
  NamespaceContainers containers;
  const WatchSet watch = watch_set(config);
  for (const SocketRecord& record : records) {
    if (record.netns == 0 || !is_listener(record) || containers.count(record.netns) != 0 ||
        !watch.watches(record.protocol, record.local.port)) {
      continue;
    }
    const auto owned = owners.find(record.inode);
    if (owned != owners.end() && !owned->second.empty()) continue;
    const auto pids = namespaces.pids.find(record.netns);
    if (pids != namespaces.pids.end()) {
      containers[record.netns] = identity.of_namespace(pids->second);
    }
  }
  return containers;
}

}  // namespace

Result<Collection, CollectFailure> collect(const Config& config, SocketSource& sockets,
                                           OwnerResolver& owners, IdentityResolver* identity) {
  Result<std::vector<SocketRecord>> records = sockets.dump(watch_set(config));
  if (!records) return CollectFailure{sockets.error_source(), records.error()};
  Collection out;
  Result<OwnerMap> found = owners.resolve_sockets(listener_sockets(config, *records));
  if (!found) out.degraded.push_back({ErrorSource::kOwner, found.error()});
  OwnerMap owner_map = found ? std::move(found).value() : OwnerMap{};
  out.namespaces = sockets.swept_namespaces();
  const NamespaceContainers containers =
      identity != nullptr ? identify(config, *records, out.namespaces, owner_map, *identity)
                          : NamespaceContainers{};
  out.snapshot = build_snapshot(config, *records, owner_map, out.namespaces.labels, containers);
  out.verdicts = evaluate_policies(config, out.snapshot);
  return out;
}

}  // namespace port_exporter
