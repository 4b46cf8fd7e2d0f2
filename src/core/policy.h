// Policy: a port's expectation applied to the listeners found on it. Pure.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "core/snapshot.h"

namespace port_exporter {

// `listener_owners` holds, for each listening socket on (policy.port, protocol), the names
// of the processes holding it (empty when none was found).
//   absent:  every listener is unexpected.
//   present: nothing listening is missing; a listener none of whose processes is in
//            allowed_processes is unexpected (an empty list allows any process; an
//            unknown owner is never allowed, so a lost owner lookup fails loudly).
//   any:     nothing is unexpected or missing.
PortVerdict evaluate_policy(const PortPolicy& policy, Protocol protocol,
                            const std::vector<std::vector<std::string>>& listener_owners);

}  // namespace port_exporter
