// SPDX-License-Identifier: Apache-2.0
// Closed attempts: packets (TCP SYNs, UDP datagrams) to a watched port that found no socket,
// as counted in the kernel by the optional eBPF probe (kernel/closed_attempts_probe.h).
// Values only: the loop reads them once per collection, exposition renders them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/socket.h"

namespace port_exporter {

// One kernel counter: attempts since the probe was loaded, in one network namespace.
struct AttemptCount {
  std::uint32_t netns = 0;  // inode of the namespace the packet arrived in (/proc/*/ns/net)
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  Family family = Family::kIpv4;
  std::uint64_t count = 0;

  friend bool operator==(const AttemptCount& a, const AttemptCount& b) {
    return a.netns == b.netns && a.port == b.port && a.protocol == b.protocol &&
           a.family == b.family && a.count == b.count;
  }
};

// What the exporter knows about closed attempts at one collection.
struct ClosedAttempts {
  bool probe_loaded = false;         // port_exporter_probe_loaded{probe="closed_attempts"}
  std::vector<AttemptCount> counts;  // empty unless probe_loaded
};

}  // namespace port_exporter
