// SPDX-License-Identifier: Apache-2.0
// process_* metrics of the exporter itself, rendered at scrape time from what
// kernel/process_stats.h reads (they describe the serving process now, not the last collection).
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "model/process_stats.h"

namespace port_exporter {

// Pure: the six standard process_* families.
std::vector<prometheus::MetricFamily> render_process_metrics(const ProcessStats& stats);

}  // namespace port_exporter
