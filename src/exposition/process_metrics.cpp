// SPDX-License-Identifier: Apache-2.0
#include "exposition/process_metrics.h"

namespace port_exporter {

namespace {

prometheus::MetricFamily gauge(const char* name, const char* help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return {name, help, type, {m}};
}

}  // namespace

std::vector<prometheus::MetricFamily> render_process_metrics(const ProcessStats& stats) {
  return {
      gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
            stats.cpu_seconds, prometheus::MetricType::Counter),
      gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            stats.resident_memory_bytes),
      gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
            stats.virtual_memory_bytes),
      gauge("process_open_fds", "Number of open file descriptors.", stats.open_fds),
      gauge("process_max_fds", "Maximum number of open file descriptors.", stats.max_fds),
      gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
            stats.start_time_seconds),
  };
}

}  // namespace port_exporter
