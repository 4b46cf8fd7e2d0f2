// SPDX-License-Identifier: Apache-2.0
// Policy: each port's expectation applied to the listeners a snapshot found. Pure; the
// stage after the snapshot (records -> snapshot -> verdicts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/snapshot.h"

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

// `listener_owners` holds, for each listening socket on (policy.port, protocol), the names
// of the processes holding it (empty when none was found).
//   absent:  every listener is unexpected.
//   present: nothing listening is missing; a listener none of whose processes is in
//            allowed_processes is unexpected (an empty list allows any process; an
//            unknown owner is never allowed, so a lost owner lookup fails loudly).
//   any:     nothing is unexpected or missing.
PortVerdict evaluate_policy(const PortPolicy& policy, Protocol protocol,
                            const std::vector<std::vector<std::string>>& listener_owners);

// Every configured port x protocol, in config order, judged on `snapshot`.
std::vector<PortVerdict> evaluate_policies(const Config& config, const Snapshot& snapshot);

}  // namespace port_exporter
