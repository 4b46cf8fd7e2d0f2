// SPDX-License-Identifier: Apache-2.0
// Metrics: the published state (snapshot, verdicts, collection stats) as Prometheus metric
// families, and as exposition text serialized once per collection, so that a scrape is a
// copy of ready bytes. Neither does I/O or holds a lock longer than a pointer copy.
#pragma once

#include <prometheus/metric_family.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/policy.h"
#include "core/snapshot.h"
#include "model/collect_stats.h"

namespace port_exporter {

// Everything a scrape shows, rendered once after each collection.
struct ExporterState {
  Snapshot snapshot;
  std::vector<PortVerdict> verdicts;
  CollectStats stats;
};

// Pure: the metric families for a state, in a stable order.
std::vector<prometheus::MetricFamily> render_metrics(const ExporterState& state);

// The text exposition format (version 0.0.4) of `families`.
std::string serialize(const std::vector<prometheus::MetricFamily>& families);

// The latest exposition text: written by the collection thread, read by scrapes.
class Exposition {
 public:
  // Told of every publish, on the publishing thread: `ready` once a collection succeeded.
  using Listener = std::function<void(const std::string& text, bool ready)>;

  Exposition();

  // Renders and serializes `state` once, on the publishing (collection) thread.
  void publish(const ExporterState& state);
  // Set before the first publish from another thread (the collection thread's start).
  void set_listener(Listener listener) { listener_ = std::move(listener); }
  // The text as serialized at the last publish (shared: a scrape never copies under lock).
  std::shared_ptr<const std::string> text() const;

 private:
  mutable std::mutex mutex_;  // guards the pointer only
  std::shared_ptr<const std::string> text_;
  Listener listener_;
};

}  // namespace port_exporter
