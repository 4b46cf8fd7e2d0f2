// SPDX-License-Identifier: Apache-2.0
#include "exposition/process_metrics.h"

#include <gtest/gtest.h>

#include "kernel/process_stats.h"

namespace port_exporter {
namespace {

// Recorded from /proc/self/stat of a process whose comm has a space and parentheses.
constexpr const char* kStat =
    "4242 (port (exp) x) S 1 4242 4242 0 -1 4194560 1520 0 0 0 250 125 0 0 20 0 9 0 "
    "123400 412000256 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

TEST(ProcessMetricsTest, ParsesStatAfterTheLastParenthesis) {
  const auto s = parse_proc_stat(kStat, 100, 4096, 1700000000);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.75);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1700000000 + 1234.0);
  EXPECT_DOUBLE_EQ(s->virtual_memory_bytes, 412000256);
  EXPECT_DOUBLE_EQ(s->resident_memory_bytes, 2560.0 * 4096);
}

TEST(ProcessMetricsTest, RejectsTruncatedStat) {
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2 3", 100, 4096, 0).ok());
  EXPECT_FALSE(parse_proc_stat("garbage", 100, 4096, 0).ok());
}

TEST(ProcessMetricsTest, ParsesBootTime) {
  EXPECT_DOUBLE_EQ(*parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1699990000\nprocesses 9\n"),
                   1699990000);
  EXPECT_FALSE(parse_boot_time("cpu 1\n").ok());
}

TEST(ProcessMetricsTest, CollectsOwnProcessMetrics) {
  const Result<ProcessStats> stats = read_process_stats();
  ASSERT_TRUE(stats.ok()) << stats.error();
  const auto families = render_process_metrics(*stats);
  ASSERT_EQ(families.size(), 6u);
  EXPECT_EQ(families[0].name, "process_cpu_seconds_total");
  EXPECT_GT(families[1].metric[0].gauge.value, 0);  // resident memory
  EXPECT_GT(families[3].metric[0].gauge.value, 0);  // open fds (stdin at least)
}

}  // namespace
}  // namespace port_exporter
