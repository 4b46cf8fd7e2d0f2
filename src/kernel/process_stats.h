// SPDX-License-Identifier: Apache-2.0
// The exporter's own process statistics (cpu, memory, fds, start time), read from
// /proc/self like every Prometheus client library does. Parsing is pure and tested on
// recorded lines; read_process_stats() is the I/O around it.
#pragma once

#include <string>

#include "base/result.h"
#include "model/process_stats.h"

namespace port_exporter {

// Pure parsers, tested on fixtures: /proc/<pid>/stat and the btime line of /proc/stat.
Result<ProcessStats> parse_proc_stat(const std::string& stat_line, long ticks_per_second,
                                     long page_size, double boot_time_seconds);
Result<double> parse_boot_time(const std::string& proc_stat);

// This process, now.
Result<ProcessStats> read_process_stats();

}  // namespace port_exporter
