// SPDX-License-Identifier: Apache-2.0
#include "exposition/http_metrics.h"

#include <string>

namespace port_exporter {

namespace {

prometheus::ClientMetric counter(const char* label, const std::string& value, double count) {
  prometheus::ClientMetric m;
  m.label = {{label, value}};
  m.counter.value = count;
  return m;
}

}  // namespace

std::vector<prometheus::MetricFamily> render_http_metrics(const HttpCounters& counters) {
  prometheus::MetricFamily refused{
      "port_exporter_http_connections_refused_total",
      "HTTP connections closed as soon as accepted: out of file descriptors (fd_limit) or "
      "the client already holds its share of the workers (per_client_limit).",
      prometheus::MetricType::Counter,
      {counter("reason", "fd_limit", static_cast<double>(counters.refused_fd_limit)),
       counter("reason", "per_client_limit", static_cast<double>(counters.refused_per_client))}};
  std::map<int, std::uint64_t> codes = {{200, 0}, {500, 0}, {503, 0}};
  for (const auto& [code, count] : counters.scrapes_by_code) codes[code] = count;
  prometheus::MetricFamily scrapes{"promhttp_metric_handler_requests_total",
                                   "Total number of scrapes by HTTP status code.",
                                   prometheus::MetricType::Counter,
                                   {}};
  for (const auto& [code, count] : codes) {
    scrapes.metric.push_back(counter("code", std::to_string(code), static_cast<double>(count)));
  }
  return {std::move(refused), std::move(scrapes)};
}

}  // namespace port_exporter
