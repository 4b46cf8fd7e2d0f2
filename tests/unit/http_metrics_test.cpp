// SPDX-License-Identifier: Apache-2.0
#include "exposition/http_metrics.h"

#include <gtest/gtest.h>

#include "exposition/metrics.h"
#include "exposition/web.h"
#include "kernel/process_stats.h"

namespace port_exporter {
namespace {

TEST(HttpMetricsTest, RefusedByReasonAndScrapesByCodeWithTheGoClientsCodesAlwaysPresent) {
  HttpCounters counters;
  counters.refused_fd_limit = 3;
  counters.refused_per_client = 7;
  counters.scrapes_by_code = {{200, 41}, {405, 2}};
  const std::string text = serialize(render_http_metrics(counters));
  EXPECT_NE(text.find("port_exporter_http_connections_refused_total{reason=\"fd_limit\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("port_exporter_http_connections_refused_total{reason=\"per_client_limit\"} 7\n"),
      std::string::npos);
  EXPECT_NE(text.find("promhttp_metric_handler_requests_total{code=\"200\"} 41\n"
                      "promhttp_metric_handler_requests_total{code=\"405\"} 2\n"
                      "promhttp_metric_handler_requests_total{code=\"500\"} 0\n"
                      "promhttp_metric_handler_requests_total{code=\"503\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE promhttp_metric_handler_requests_total counter\n"),
            std::string::npos);
}

TEST(HttpMetricsTest, WorkersAreSizedFromTheDescriptorAndThreadLimits) {
  EXPECT_EQ(worker_threads(0, 0), 256);     // unlimited
  EXPECT_EQ(worker_threads(1024, 0), 256);  // systemd's default soft limit
  EXPECT_EQ(worker_threads(1048576, 4096), 256);
  EXPECT_EQ(worker_threads(200, 0), 100);     // half the descriptors
  EXPECT_EQ(worker_threads(1024, 1024), 64);  // a sixteenth of the uid's threads
  EXPECT_EQ(worker_threads(16, 4096), 8);
  EXPECT_EQ(worker_threads(4, 16), 4);           // at least 4
  EXPECT_EQ(worker_threads(1024, 0, 320), 256);  // systemd TasksMax=320 (our unit)
  EXPECT_EQ(worker_threads(1024, 0, 100), 68);   // the task limit less 32
  EXPECT_EQ(worker_threads(1024, 0, 32), 4);     // TasksMax=32: at least 4
}

TEST(HttpMetricsTest, PidsMaxOfTheProcesssCgroup) {
  const auto read = [](const std::string& path) -> std::string {
    if (path == "/system.slice/port_exporter.service/pids.max") return "320\n";
    if (path == "/pids.max") return "max\n";
    return "";
  };
  EXPECT_EQ(parse_pids_max("0::/system.slice/port_exporter.service\n", read), 320u);
  EXPECT_EQ(parse_pids_max("0::/\n", read), 0u);                       // "max": unlimited
  EXPECT_EQ(parse_pids_max("12:pids:/x\n0::/elsewhere\n", read), 0u);  // unreadable
  EXPECT_EQ(parse_pids_max("12:pids:/docker/abc\n", read), 0u);        // cgroup v1 only
}

}  // namespace
}  // namespace port_exporter
