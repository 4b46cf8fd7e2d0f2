// SPDX-License-Identifier: Apache-2.0
#include "kernel/inet_diag_filter.h"

#include <linux/inet_diag.h>

#include <algorithm>
#include <cstring>

// Program layout (the kernel's inet_diag_bc_run): each 4-byte op tests the socket and
// jumps `yes` bytes on a match, `no` bytes otherwise; the socket is accepted when a jump
// lands exactly on the end of the program, rejected when it lands 4 bytes past it. The
// kernel's audit (inet_diag_bc_audit) walks the `yes` chain, so every `no` target must be
// an op boundary on that chain. As in ss, each test below succeeds by falling through to
// its own end and fails by jumping 4 bytes past its end, where an OR places the next test.

namespace port_exporter {
namespace {

using Bytecode = std::vector<std::uint8_t>;

struct PortRun {
  std::uint16_t first;
  std::uint16_t last;
};

void append_op(Bytecode& out, std::uint8_t code, std::uint8_t yes, std::uint16_t no) {
  const inet_diag_bc_op op{code, yes, no};
  std::uint8_t bytes[sizeof op];
  std::memcpy(bytes, &op, sizeof op);
  out.insert(out.end(), bytes, bytes + sizeof op);
}

// port == p: the compared port rides in the `no` field of a follow-on op.
void append_equal(Bytecode& out, std::uint8_t code, std::uint16_t port) {
  append_op(out, code, 8, 12);
  append_op(out, 0, 0, port);
}

// first <= port <= last: GE's failure skips the LE test as well (16 + 4 bytes).
void append_range(Bytecode& out, std::uint8_t ge, std::uint8_t le, const PortRun& run) {
  append_op(out, ge, 8, 20);
  append_op(out, 0, 0, run.first);
  append_op(out, le, 8, 12);
  append_op(out, 0, 0, run.last);
}

std::size_t test_size(const PortRun& run) { return run.first == run.last ? 8 : 16; }

std::vector<PortRun> port_runs(std::vector<std::uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  std::vector<PortRun> runs;
  for (const std::uint16_t port : ports) {
    if (port == 0) continue;
    if (!runs.empty() && runs.back().last + 1 == port) {
      runs.back().last = port;
    } else {
      runs.push_back({port, port});
    }
  }
  return runs;
}

void append_test(Bytecode& out, bool remote, const PortRun& run) {
  if (run.first == run.last) {
    append_equal(out, remote ? INET_DIAG_BC_D_EQ : INET_DIAG_BC_S_EQ, run.first);
  } else if (remote) {
    append_range(out, INET_DIAG_BC_D_GE, INET_DIAG_BC_D_LE, run);
  } else {
    append_range(out, INET_DIAG_BC_S_GE, INET_DIAG_BC_S_LE, run);
  }
}

}  // namespace

std::vector<std::uint8_t> build_port_filter(const std::vector<std::uint16_t>& ports) {
  const std::vector<PortRun> runs = port_runs(ports);
  if (runs.empty()) return {};
  std::size_t tests_bytes = 0;
  for (const PortRun& run : runs) tests_bytes += test_size(run);
  // Every run is tested twice (sport, dport), with a 4-byte JMP between consecutive tests.
  const std::size_t total = 2 * tests_bytes + 4 * (2 * runs.size() - 1);
  if (total > kMaxFilterBytes) return {};

  Bytecode out;
  out.reserve(total);
  for (const bool remote : {false, true}) {
    for (const PortRun& run : runs) {
      if (!out.empty()) {
        // Reached only when the previous test matched: jump to the end and accept. Its
        // `yes` (4) is never taken at run time but is the path the kernel's audit walks.
        append_op(out, INET_DIAG_BC_JMP, 4, static_cast<std::uint16_t>(total - out.size()));
      }
      append_test(out, remote, run);
    }
  }
  return out;
}

bool filter_in_kernel(const std::vector<std::uint16_t>& ports) {
  return port_runs(ports).size() <= kMaxKernelFilterRuns;
}

}  // namespace port_exporter
