// SPDX-License-Identifier: Apache-2.0
#include "core/close_counters.h"

#include <algorithm>

namespace port_exporter {
namespace {

bool watched(const WatchSet& watch, Protocol protocol, std::uint16_t port) {
  const std::vector<std::uint16_t>& ports = watch.ports(protocol);
  return port != 0 && std::binary_search(ports.begin(), ports.end(), port);
}

template <typename Map, typename Key>
std::uint64_t value_or_zero(const Map& map, const Key& key) {
  const auto it = map.find(key);
  return it == map.end() ? 0 : it->second;
}

}  // namespace

void count_close(const WatchSet& watch, const SocketRecord& closed, double unix_time,
                 const std::string& netns, CloseCounters& counters) {
  const Protocol p = closed.protocol;
  const Family f = closed.family;
  if (closed.remote.port == 0) {
    if (!watched(watch, p, closed.local.port)) return;
    counters.listeners[{closed.local.port, p, f}]++;
    counters.last_listener[{closed.local.port, p}] =
        ClosedListener{unix_time, f, format_address(f, closed.local.address), netns};
    return;
  }
  if (watched(watch, p, closed.local.port)) {
    counters.connections[{closed.local.port, p, f, Direction::kInbound}]++;
  }
  if (watched(watch, p, closed.remote.port)) {
    counters.connections[{closed.remote.port, p, f, Direction::kOutbound}]++;
  }
}

CloseReport build_close_report(const Config& config, const CloseCounters& counters,
                               SubscriptionCounts subscriptions) {
  CloseReport report;
  for (const PortPolicy& policy : config.ports) {
    for (const Protocol protocol : policy.protocols) {
      for (const Family family : kFamilies) {
        report.listeners.push_back(
            {policy.port, protocol, family,
             value_or_zero(counters.listeners, std::make_tuple(policy.port, protocol, family))});
        for (const Direction direction : kDirections) {
          report.connections.push_back(
              {policy.port, protocol, family, direction,
               value_or_zero(counters.connections,
                             std::make_tuple(policy.port, protocol, family, direction))});
        }
      }
      const auto last = counters.last_listener.find({policy.port, protocol});
      if (last != counters.last_listener.end()) {
        report.last_listeners.push_back({policy.port, protocol, last->second});
      }
    }
  }
  report.events_lost = counters.events_lost;
  report.subscriptions = std::move(subscriptions);
  return report;
}

}  // namespace port_exporter
