// SPDX-License-Identifier: Apache-2.0
// What the serving process counts about its own HTTP edge (refused connections, scrapes by
// status code), as a value and rendered as metric families: appended to each scrape next to
// process_*, since the counts live in the serving process, not in the collector.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <vector>

namespace port_exporter {

struct HttpCounters {
  std::uint64_t refused_fd_limit = 0;    // accepted and closed at once: out of descriptors
  std::uint64_t refused_per_client = 0;  // closed at once: the client holds its share already
  std::map<int, std::uint64_t> scrapes_by_code;  // responses on the telemetry path
};

// Pure: port_exporter_http_connections_refused_total{reason} and
// promhttp_metric_handler_requests_total{code} (codes 200, 500 and 503 always present, as
// the Go client exposes them).
std::vector<prometheus::MetricFamily> render_http_metrics(const HttpCounters& counters);

}  // namespace port_exporter
