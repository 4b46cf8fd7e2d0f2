// Metrics: the latest published state (snapshot + collection stats) as Prometheus metric
// families, and as exposition text serialized once per collection, so that a scrape is a
// copy of ready bytes. Neither does I/O or holds a lock longer than a pointer copy.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/snapshot.h"

namespace port_exporter {

// Where a collection failed: the `source` label of port_exporter_collect_errors_total.
enum class ErrorSource : std::uint8_t { kNetlink, kProcfs, kOwner };
inline constexpr std::size_t kErrorSources = 3;
std::string_view to_string(ErrorSource s);

struct CollectStats {
  std::uint64_t collections = 0;
  std::array<std::uint64_t, kErrorSources> errors{};
  double last_duration_seconds = 0;
  double last_success_timestamp_seconds = 0;
  bool config_reload_successful = true;
  double config_reload_success_timestamp_seconds = 0;
};

// Everything a scrape shows, published as one immutable value after each collection.
struct ExporterState {
  Snapshot snapshot;
  CollectStats stats;
};

// Pure: the metric families for a state, in a stable order.
std::vector<prometheus::MetricFamily> render_metrics(const ExporterState& state);

// The text exposition format (version 0.0.4) of `families`.
std::string serialize(const std::vector<prometheus::MetricFamily>& families);

class StateCollectable : public prometheus::Collectable {
 public:
  StateCollectable();

  // Renders and serializes `state` once, on the publishing (collection) thread.
  void publish(std::shared_ptr<const ExporterState> state);
  std::shared_ptr<const ExporterState> latest() const;
  // The exposition text of the latest state, as serialized when it was published.
  std::shared_ptr<const std::string> exposition() const;
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Published {
    std::shared_ptr<const ExporterState> state;
    std::shared_ptr<const std::string> text;
  };
  mutable std::mutex mutex_;  // guards the two pointers only
  Published published_;
};

}  // namespace port_exporter
