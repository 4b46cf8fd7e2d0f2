// SPDX-License-Identifier: Apache-2.0
// ClosedAttemptsProbe: loads and attaches the eBPF program kernel/bpf/closed_attempts.bpf.c
// (skb:kfree_skb, reason NO_SOCKET), fills its watched-ports map from the config and reads
// its per-CPU counters. Optional: load() fails with the reason (built without it, no BTF,
// no CAP_BPF/CAP_PERFMON, kernel too old) and the exporter runs without it.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "model/closed_attempts.h"
#include "model/socket.h"

namespace port_exporter {

class ClosedAttemptsProbe {
 public:
  // Loads, verifies and attaches the program, watching nothing yet.
  static Result<std::unique_ptr<ClosedAttemptsProbe>> load();
  ~ClosedAttemptsProbe();
  ClosedAttemptsProbe(const ClosedAttemptsProbe&) = delete;
  ClosedAttemptsProbe& operator=(const ClosedAttemptsProbe&) = delete;

  // Makes the kernel's watched set exactly `ports` (adds the new, deletes the gone).
  // Counters of a port no longer watched stay in the kernel; nothing renders them.
  Result<bool> watch(const WatchSet& ports);

  // Every counter, summed over CPUs: one entry per (netns, port, protocol, family) seen.
  Result<std::vector<AttemptCount>> read() const;

  struct Handles;  // libbpf's objects, opaque here so that callers need no libbpf headers

 private:
  explicit ClosedAttemptsProbe(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> handles_;
};

}  // namespace port_exporter
