// SPDX-License-Identifier: Apache-2.0
// collect(): the one forward pipeline of a collection, used by the collection loop, the
// integration tests and the benchmark: sources -> records -> owners -> snapshot -> verdicts.
// What it returns is the exposition's input; it publishes nothing and keeps no state.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "core/policy.h"
#include "core/snapshot.h"
#include "kernel/identity_resolver.h"
#include "kernel/owners.h"
#include "kernel/socket_source.h"
#include "model/collect_stats.h"

namespace port_exporter {

// A stage that failed, and why.
struct CollectFailure {
  ErrorSource source;
  std::string message;
};

struct Collection {
  Snapshot snapshot;
  std::vector<PortVerdict> verdicts;
  SweptNamespaces namespaces;  // with namespaces: all, what the sweep found
  // Failures that left the collection usable: a failed owner lookup labels every listener
  // "unknown" (and so, on allow-listed ports, unexpected) but the counts are exact.
  std::vector<CollectFailure> degraded;
};

// The socket dump failing fails the collection: there are no counts to show. With
// `identity`, listeners get their container and pod (owners' cgroups; for an unknown owner in
// another namespace, the cgroups of the processes in that namespace).
Result<Collection, CollectFailure> collect(const Config& config, SocketSource& sockets,
                                           OwnerResolver& owners,
                                           IdentityResolver* identity = nullptr);

}  // namespace port_exporter
