// SPDX-License-Identifier: Apache-2.0
// The exporter's own process statistics (cpu, memory, fds, start time), read from
// /proc/self like every Prometheus client library does. Parsing is pure and tested on
// recorded lines; read_process_stats() is the I/O around it.
#pragma once

#include <functional>
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

// Pure: the pids.max of this process's cgroup (v2) from /proc/self/cgroup's "0::PATH" line
// and a reader of "<cgroup root>PATH/pids.max"; 0 when unlimited ("max") or unknown.
unsigned long long parse_pids_max(const std::string& proc_self_cgroup,
                                  const std::function<std::string(const std::string&)>& read);
// How many tasks (threads) this process's cgroup may hold (systemd TasksMax, a pod's pids
// limit): 0 when unlimited or not cgroup v2.
unsigned long long cgroup_pids_max();

}  // namespace port_exporter
