// SPDX-License-Identifier: Apache-2.0
// Policy: each port's expectation applied to the listeners a snapshot found. Pure; the
// stage after the snapshot (records -> snapshot -> verdicts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/snapshot.h"
#include "model/closed_attempts.h"

namespace port_exporter {

// The verdict for one configured port and protocol.
struct PortVerdict {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  Expect expect = Expect::kAbsent;
  std::string description;
  std::uint64_t unexpected = 0;  // listeners that break the expectation
  std::uint64_t missing = 0;     // 1 when expect: present and nothing listens
};

// True when the listener passes the port's owner lists: some process holding it matches
// every list that is given (any entry within a list): allowed_processes by comm,
// allowed_executables by /proc/<pid>/exe, allowed_uids by the socket's uid. No list: any
// owner, known or not. An unknown owner is never allowed by a list, so a lost owner lookup
// fails loudly.
bool listener_allowed(const PortPolicy& policy, const ListeningSocket& listener);

// `listeners` are the listening sockets on (policy.port, protocol).
//   absent:  every listener is unexpected.
//   present: nothing listening is missing; a listener not allowed is unexpected.
//   any:     nothing is unexpected or missing.
PortVerdict evaluate_policy(const PortPolicy& policy, Protocol protocol,
                            const std::vector<ListeningSocket>& listeners);

// Every configured port x protocol, in config order, judged on `snapshot`.
std::vector<PortVerdict> evaluate_policies(const Config& config, const Snapshot& snapshot);

// The closed-attempt counters within each port's namespace scope: a port watched in the
// host namespace only (`namespaces: host`, the default) keeps the counts of `host_netns`
// only; a port watched everywhere keeps every namespace's. Counters of unconfigured ports
// are dropped. Pure.
std::vector<AttemptCount> attempts_in_scope(const Config& config,
                                            const std::vector<AttemptCount>& counts,
                                            std::uint32_t host_netns);

}  // namespace port_exporter
