// SPDX-License-Identifier: Apache-2.0
#include "app/collect.h"

#include <utility>

namespace port_exporter {

Result<Collection, CollectFailure> collect(const Config& config, SocketSource& sockets,
                                           OwnerResolver& owners) {
  Result<std::vector<SocketRecord>> records = sockets.dump(watch_set(config));
  if (!records) return CollectFailure{sockets.error_source(), records.error()};
  Collection out;
  Result<OwnerMap> found = owners.resolve(listener_inodes(config, *records));
  if (!found) out.degraded.push_back({ErrorSource::kOwner, found.error()});
  out.namespaces = sockets.swept_namespaces();
  out.snapshot =
      build_snapshot(config, *records, found ? *found : OwnerMap{}, out.namespaces.labels);
  out.verdicts = evaluate_policies(config, out.snapshot);
  return out;
}

}  // namespace port_exporter
