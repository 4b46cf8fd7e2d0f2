// SPDX-License-Identifier: Apache-2.0
// Config: the YAML config file (schema in DESIGN.md) as a value, and its loader.
// Every error names the key and its line:column.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/socket.h"

namespace port_exporter {

enum class Expect : std::uint8_t { kAbsent, kPresent, kAny };
enum class NamespaceMode : std::uint8_t { kHost, kAll };

// "absent", "present", "any"; "host", "all": the config values and metric labels.
std::string_view to_string(Expect e);
std::string_view to_string(NamespaceMode m);

struct PortPolicy {
  std::uint16_t port = 0;
  std::vector<Protocol> protocols{Protocol::kTcp, Protocol::kUdp};
  Expect expect = Expect::kAbsent;
  std::string description;
  std::vector<std::string> allowed_processes;  // empty: any process may listen
  // The owner lists below are read only with expect: present, like allowed_processes.
  std::vector<std::string> allowed_executables;  // absolute /proc/<pid>/exe paths
  std::vector<std::uint32_t> allowed_uids;
  std::optional<NamespaceMode> namespaces;  // unset: the global value

  friend bool operator==(const PortPolicy& a, const PortPolicy& b) {
    return a.port == b.port && a.protocols == b.protocols && a.expect == b.expect &&
           a.description == b.description && a.allowed_processes == b.allowed_processes &&
           a.allowed_executables == b.allowed_executables && a.allowed_uids == b.allowed_uids &&
           a.namespaces == b.namespaces;
  }
  friend bool operator!=(const PortPolicy& a, const PortPolicy& b) { return !(a == b); }
};

// Every state port_connections can carry, in DESIGN.md's order: the default of
// `connection_states`.
const std::vector<TcpState>& all_connection_states();

struct Config {
  std::chrono::milliseconds interval{std::chrono::seconds(15)};
  NamespaceMode namespaces = NamespaceMode::kHost;
  // The states port_connections exposes (a subset of all_connection_states(), in its
  // order): fewer states, fewer series. UDP's connected state is established.
  std::vector<TcpState> connection_states = all_connection_states();
  std::vector<PortPolicy> ports;

  friend bool operator==(const Config& a, const Config& b) {
    return a.interval == b.interval && a.namespaces == b.namespaces &&
           a.connection_states == b.connection_states && a.ports == b.ports;
  }
  friend bool operator!=(const Config& a, const Config& b) { return !(a == b); }
};

// The namespaces a port is watched in: its own `namespaces`, else the global one.
NamespaceMode namespace_scope(const Config& config, const PortPolicy& policy);

// Port 2908 tcp+udp, expect absent: what runs without --config.file.
Config default_config();

// The ports each protocol watches, sorted and unique.
WatchSet watch_set(const Config& config);

// "500ms", "15s", "1m", "1h", "1m30s". Error text names what is wrong.
// Units h, m, s, ms, largest first, each at most once; no sign, no fractions.
// Defined in duration.cpp.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
// The inverse: 90s -> "1m30s", 1500ms -> "1s500ms", 0 -> "0s".
std::string format_duration(std::chrono::milliseconds d);

// On failure the error holds one line per problem, sorted by position, each
// "source:line:column: keypath: message" (1-based; e.g.
// "config.yml:7:11: ports[0].port: 70000 is outside 1..65535"). load_config's error for a
// file it cannot read is "path: cannot read: <strerror>".
Result<Config> parse_config(std::string_view yaml, std::string_view source_name);
Result<Config> load_config(const std::string& path);

}  // namespace port_exporter
