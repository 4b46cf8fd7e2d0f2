// SPDX-License-Identifier: Apache-2.0
// The exporter's account of its own collections, as values: filled by the collection loop
// (app/), rendered as port_exporter_* self-metrics (exposition/).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

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
  // Collections whose owner lookup put off attributing new listeners (walk budget spent).
  std::uint64_t owner_lookups_deferred = 0;
  bool config_reload_successful = true;
  double config_reload_success_timestamp_seconds = 0;

  void count_error(ErrorSource s) { ++errors[static_cast<std::size_t>(s)]; }
};

}  // namespace port_exporter
