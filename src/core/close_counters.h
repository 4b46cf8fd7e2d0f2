// SPDX-License-Identifier: Apache-2.0
// Close counters: what the kernel's destroy notifications said about the watched ports
// since start, and the report the metrics show. Pure: the event reader thread feeds
// count_close(), the collection copies the counters and calls build_close_report().
// Counters count closes only, so they never overlap the gauges (which count what exists).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/snapshot.h"
#include "model/socket.h"

namespace port_exporter {

// The last listener that closed on a port: what the notification told. The kernel sends
// no owner (inode and uid are 0), and the process may be gone: uid is not known here.
struct ClosedListener {
  double unix_time = 0;
  Family family = Family::kIpv4;
  std::string address;  // the bind address, e.g. "0.0.0.0", "::", "127.0.0.1"
  std::string netns;    // "host", an `ip netns` name or "netns:<inode>"

  friend bool operator==(const ClosedListener& a, const ClosedListener& b) {
    return a.unix_time == b.unix_time && a.family == b.family && a.address == b.address &&
           a.netns == b.netns;
  }
};

struct CloseCounters {
  std::map<std::tuple<std::uint16_t, Protocol, Family>, std::uint64_t> listeners;
  std::map<std::tuple<std::uint16_t, Protocol, Family, Direction>, std::uint64_t> connections;
  std::map<std::pair<std::uint16_t, Protocol>, ClosedListener> last_listener;
  std::uint64_t events_lost = 0;
};

// Counts one closed socket against the watched ports (anything else is ignored, so the
// kernel filter may over-deliver). No remote port: a listener (TCP LISTEN and bound-only
// sockets look the same once closed; UDP unconnected). Else a connection: inbound when
// the local port is watched, outbound when the remote port is, both when both are.
void count_close(const WatchSet& watch, const SocketRecord& closed, double unix_time,
                 const std::string& netns, CloseCounters& counters);

struct ListenerClosedCount {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  Family family = Family::kIpv4;
  std::uint64_t count = 0;
};

struct ConnectionClosedCount {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  Family family = Family::kIpv4;
  Direction direction = Direction::kInbound;
  std::uint64_t count = 0;
};

struct LastClosedListener {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  ClosedListener listener;
};

// Subscriptions running, by the namespace mode that opened them ("host", "all").
using SubscriptionCounts = std::vector<std::pair<std::string, std::uint64_t>>;

struct CloseReport {
  std::vector<ListenerClosedCount> listeners;      // every port x protocol x family, zeros too
  std::vector<ConnectionClosedCount> connections;  // ... x direction, zeros too
  std::vector<LastClosedListener> last_listeners;  // configured ports where one closed
  std::uint64_t events_lost = 0;
  SubscriptionCounts subscriptions;
};

// Pure: the counters of the configured combinations, in config order.
CloseReport build_close_report(const Config& config, const CloseCounters& counters,
                               SubscriptionCounts subscriptions);

}  // namespace port_exporter
