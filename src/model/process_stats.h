// SPDX-License-Identifier: Apache-2.0
// The exporter's own process statistics, as a value: read by kernel/process_stats.h,
// rendered as process_* by exposition/process_metrics.h.
#pragma once

namespace port_exporter {

struct ProcessStats {
  double cpu_seconds = 0;
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;
};

}  // namespace port_exporter
