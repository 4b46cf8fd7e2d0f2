// SPDX-License-Identifier: Apache-2.0
// Metrics: the published state (snapshot, verdicts, collection stats, close counters) as Prometheus
// metric families, and as exposition text serialized once per collection, so that a scrape is a
// copy of ready bytes. Neither does I/O or holds a lock longer than a pointer copy.
#pragma once

#include <prometheus/metric_family.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/close_counters.h"
#include "core/policy.h"
#include "core/snapshot.h"
#include "model/closed_attempts.h"
#include "model/collect_stats.h"

namespace port_exporter {

// Everything a scrape shows, rendered once after each collection.
struct ExporterState {
  Snapshot snapshot;
  std::vector<PortVerdict> verdicts;
  CollectStats stats;
  ClosedAttempts closed_attempts;  // from the optional eBPF probe
  CloseReport closes;              // the close counters as copied at the collection
  SweptNamespaces namespaces{};
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
  // The same for a collection that began at `started`: its
  // port_exporter_collect_duration_seconds (also written to state.stats) is the time from
  // `started` until the text is serialized, rendering and serialization included (the
  // duration's own line is serialized last and spliced in at its place).
  void publish(ExporterState& state, std::chrono::steady_clock::time_point started);
  // The text as serialized at the last publish (shared: a scrape never copies under lock).
  std::shared_ptr<const std::string> text() const;

 private:
  mutable std::mutex mutex_;  // guards the pointer only
  std::shared_ptr<const std::string> text_;
  Listener listener_;
};

}  // namespace port_exporter
