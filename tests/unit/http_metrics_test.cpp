#include "exposition/http_metrics.h"

#include <gtest/gtest.h>

#include "exposition/metrics.h"
#include "exposition/web.h"

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
  EXPECT_EQ(worker_threads(4, 16), 4);  // at least 4
}

}  // namespace
}  // namespace port_exporter
