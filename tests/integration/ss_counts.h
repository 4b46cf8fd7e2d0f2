// SPDX-License-Identifier: Apache-2.0
// What `ss` says about the watched ports, counted with the exporter's rules, so tests can
// compare every exported number with ss run on the same sockets in the same test.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/snapshot.h"
#include "socket_helpers.h"

namespace port_exporter::test {

using ListenerKey = std::tuple<std::uint16_t, Protocol, Family>;
using ConnectionKey = std::tuple<std::uint16_t, Protocol, Family, Direction, std::string>;

struct SsCounts {
  std::map<ListenerKey, std::uint64_t> listeners;
  std::map<ConnectionKey, std::uint64_t> connections;  // state as the exporter names it
};

// ss's state column -> the exporter's state label.
inline std::string state_label(const std::string& ss_state) {
  static const std::map<std::string, std::string> names = {
      {"ESTAB", "established"},    {"SYN-SENT", "syn_sent"},     {"SYN-RECV", "syn_recv"},
      {"FIN-WAIT-1", "fin_wait1"}, {"FIN-WAIT-2", "fin_wait2"},  {"TIME-WAIT", "time_wait"},
      {"UNCONN", "close"},         {"CLOSE-WAIT", "close_wait"}, {"LAST-ACK", "last_ack"},
      {"CLOSING", "closing"},      {"LISTEN", "listen"}};
  const auto it = names.find(ss_state);
  return it == names.end() ? "unknown:" + ss_state : it->second;
}

inline std::uint16_t port_of(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  const std::string port = endpoint.substr(colon + 1);
  return port == "*" ? 0 : static_cast<std::uint16_t>(std::stoul(port));
}

// Runs ss once per protocol and family over `ports` and counts like build_snapshot; with
// `netns`, inside that named namespace.
inline SsCounts count_with_ss(const std::vector<std::uint16_t>& ports,
                              const std::string& netns = "") {
  SsCounts counts;
  const auto watched = [&](std::uint16_t p) {
    return std::find(ports.begin(), ports.end(), p) != ports.end();
  };
  for (Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    for (Family family : {Family::kIpv4, Family::kIpv6}) {
      const std::string options = std::string(protocol == Protocol::kTcp ? "-t" : "-u") + " -a " +
                                  (family == Family::kIpv4 ? "-4" : "-6");
      for (const std::string& line : run_ss(options, ss_port_filter(ports), netns)) {
        std::istringstream fields(line);
        std::string state, recv_q, send_q, local, peer;
        fields >> state >> recv_q >> send_q >> local >> peer;
        const std::uint16_t local_port = port_of(local);
        const std::uint16_t peer_port = port_of(peer);
        const bool listener = state == "LISTEN" || (state == "UNCONN" && peer_port == 0);
        if (listener) {
          if (watched(local_port)) counts.listeners[{local_port, protocol, family}]++;
          continue;
        }
        const std::string label = state_label(state);
        if (watched(local_port)) {
          counts.connections[{local_port, protocol, family, Direction::kInbound, label}]++;
        }
        if (watched(peer_port)) {
          counts.connections[{peer_port, protocol, family, Direction::kOutbound, label}]++;
        }
      }
    }
  }
  return counts;
}

// The sum of several namespaces' counts: what a port watched in all of them shows.
inline SsCounts sum(const std::vector<SsCounts>& parts) {
  SsCounts total;
  for (const SsCounts& part : parts) {
    for (const auto& [k, v] : part.listeners) total.listeners[k] += v;
    for (const auto& [k, v] : part.connections) total.connections[k] += v;
  }
  return total;
}

// The same maps from a snapshot, zeros left out, for an exact comparison.
inline SsCounts counts_of(const Snapshot& snapshot) {
  SsCounts counts;
  for (const auto& c : snapshot.listeners) {
    if (c.count > 0) counts.listeners[{c.port, c.protocol, c.family}] = c.count;
  }
  for (const auto& c : snapshot.connections) {
    if (c.count > 0) {
      counts.connections[{c.port, c.protocol, c.family, c.direction,
                          std::string(to_string(c.state))}] = c.count;
    }
  }
  return counts;
}

inline std::string describe(const SsCounts& counts) {
  std::ostringstream out;
  for (const auto& [k, v] : counts.listeners) {
    out << "listen " << std::get<0>(k) << "/" << to_string(std::get<1>(k)) << "/"
        << to_string(std::get<2>(k)) << " = " << v << "\n";
  }
  for (const auto& [k, v] : counts.connections) {
    out << "conn " << std::get<0>(k) << "/" << to_string(std::get<1>(k)) << "/"
        << to_string(std::get<2>(k)) << "/" << to_string(std::get<3>(k)) << "/" << std::get<4>(k)
        << " = " << v << "\n";
  }
  return out.str();
}

}  // namespace port_exporter::test
