// SPDX-License-Identifier: Apache-2.0
// YAML -> Config. Walks the document by hand (not node["key"]) so that unknown and
// duplicate keys are seen, and collects every problem with its line:column.
#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include "base/parse_number.h"
#include "base/utf8.h"
#include "config/yaml_fields.h"
#include "config/yaml_guard.h"

namespace port_exporter {
namespace {

using yaml::check_type;
using yaml::describe;
using yaml::Diagnostics;
using yaml::element;
using yaml::EnumName;
using yaml::Field;
using yaml::Fields;
using yaml::find;
using yaml::format_position;
using yaml::join;
using yaml::parse_enum;
using yaml::Position;
using yaml::position_of;
using yaml::quote;
using yaml::read_map;

constexpr std::size_t kMaxConfigBytes = std::size_t{1024} * 1024;
// Items of any list (ports, allowed_processes), enforced by yaml_guard before nodes exist.
constexpr std::size_t kMaxListEntries = 1000;
// A label value on every port_policy_info series: 1000 ports x 2 protocols x 1 KiB is
// 2 MB of exposition at most.
constexpr std::size_t kMaxDescriptionBytes = 1024;
constexpr std::size_t kMaxProcessName = 15;    // the kernel's comm: TASK_COMM_LEN - 1 bytes
constexpr std::size_t kMaxPath = 4095;         // PATH_MAX - 1: readlink never returns more
constexpr std::uint32_t kMaxUid = 4294967294;  // (uid_t)-1 is "no uid" to the kernel
constexpr std::chrono::milliseconds kMinInterval = std::chrono::seconds(1);
constexpr std::chrono::milliseconds kMaxInterval = std::chrono::hours(1);
constexpr std::string_view kPortRange = "1..65535";

constexpr std::array<EnumName<Expect>, 3> kExpectNames{
    {{"absent", Expect::kAbsent}, {"present", Expect::kPresent}, {"any", Expect::kAny}}};
constexpr std::array<EnumName<NamespaceMode>, 2> kNamespaceNames{
    {{"host", NamespaceMode::kHost}, {"all", NamespaceMode::kAll}}};
constexpr std::array<EnumName<Protocol>, 2> kProtocolNames{
    {{"tcp", Protocol::kTcp}, {"udp", Protocol::kUdp}}};
constexpr std::array<EnumName<TcpState>, 10> kStateNames{{{"established", TcpState::kEstablished},
                                                          {"syn_sent", TcpState::kSynSent},
                                                          {"syn_recv", TcpState::kSynRecv},
                                                          {"fin_wait1", TcpState::kFinWait1},
                                                          {"fin_wait2", TcpState::kFinWait2},
                                                          {"time_wait", TcpState::kTimeWait},
                                                          {"close", TcpState::kClose},
                                                          {"close_wait", TcpState::kCloseWait},
                                                          {"last_ack", TcpState::kLastAck},
                                                          {"closing", TcpState::kClosing}}};

template <typename E, std::size_t N>
std::string_view name_of(E value, const std::array<EnumName<E>, N>& names) {
  for (const auto& n : names) {
    if (n.value == value) return n.name;
  }
  return "unknown";
}

// A decimal integer with an optional '-', saturated far outside the port range so that
// overflow reads as "outside the range" rather than "not an integer".
std::optional<std::int64_t> parse_integer(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (const char c : text) value = std::min(value * 10 + (c - '0'), std::int64_t{1'000'000});
  return negative ? -value : value;
}

std::optional<std::uint16_t> parse_port(const Field& f, Diagnostics& diag) {
  const std::string what = "an integer " + std::string(kPortRange);
  if (!check_type(f, YAML::NodeType::Scalar, what, diag)) return std::nullopt;
  const std::string& text = f.value.Scalar();
  if (f.value.Tag() == "!") {  // quoted: a string in YAML, whatever it looks like
    diag.add(f.at(), f.path, "expected " + what + ", got the string " + quote(text));
    return std::nullopt;
  }
  const std::optional<std::int64_t> number = parse_integer(text);
  if (!number) {
    diag.add(f.at(), f.path,
             quote(text) + " is not an integer; expected " + std::string(kPortRange));
  } else if (*number < 1 || *number > 65535) {
    diag.add(f.at(), f.path, text + " is outside " + std::string(kPortRange));
  } else {
    return static_cast<std::uint16_t>(*number);
  }
  return std::nullopt;
}

std::vector<Protocol> parse_protocols(const Field& f, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Sequence, "a list such as [tcp, udp]", diag)) return {};
  if (f.value.size() == 0) {
    diag.add(f.at(), f.path, "empty list; give tcp, udp or both (omit the key for both)");
  }
  std::vector<Protocol> protocols;
  std::vector<Position> first_at;
  for (std::size_t i = 0; i < f.value.size(); ++i) {
    const Field item = element(f, i);
    const std::optional<Protocol> protocol = parse_enum(item, kProtocolNames, diag);
    if (!protocol) continue;
    const auto seen = std::find(protocols.begin(), protocols.end(), *protocol);
    if (seen != protocols.end()) {
      const Position first = first_at[static_cast<std::size_t>(seen - protocols.begin())];
      diag.add(item.at(), item.path,
               "duplicate protocol " + std::string(to_string(*protocol)) + " (first at " +
                   format_position(first) + ")");
      continue;
    }
    protocols.push_back(*protocol);
    first_at.push_back(item.at());
  }
  return protocols;
}

std::vector<std::string> parse_processes(const Field& f, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Sequence, "a list of process names", diag)) return {};
  std::vector<std::string> names;
  for (std::size_t i = 0; i < f.value.size(); ++i) {
    const Field item = element(f, i);
    if (!check_type(item, YAML::NodeType::Scalar, "a process name", diag)) continue;
    const std::string& name = item.value.Scalar();
    if (name.empty()) {
      diag.add(item.at(), item.path, "empty process name");
    } else if (name.size() > kMaxProcessName) {
      diag.add(item.at(), item.path,
               quote(name) + " is " + std::to_string(name.size()) +
                   " characters long; a process name (the kernel's comm) has at most 15, so "
                   "it could never match");
    } else {
      names.push_back(name);
    }
  }
  return names;
}

// A label value: bounded, and no control characters (a raw ESC or CR in a label value
// garbles every terminal and log that shows it).
std::string parse_description(const Field& f, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Scalar, "a string", diag)) return {};
  const std::string& text = f.value.Scalar();
  if (text.size() > kMaxDescriptionBytes) {
    diag.add(f.at(), f.path,
             std::to_string(text.size()) + " bytes long; at most " +
                 std::to_string(kMaxDescriptionBytes) +
                 " (it is a label value on every port_policy_info series)");
    return {};
  }
  const std::size_t control = first_control_character(text);
  if (control != std::string::npos) {
    char code[8];
    std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned char>(text[control]));
    diag.add(f.at(), f.path,
             std::string("control character ") + code + " at byte " + std::to_string(control) +
                 "; label values must be printable");
    return {};
  }
  return text;
}

// Absolute paths as readlink(/proc/<pid>/exe) shows them: a relative path could never
// match, and a typo here would silently allow nothing.
std::vector<std::string> parse_executables(const Field& f, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Sequence, "a list of absolute paths", diag)) return {};
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < f.value.size(); ++i) {
    const Field item = element(f, i);
    if (!check_type(item, YAML::NodeType::Scalar, "an absolute path", diag)) continue;
    const std::string& path = item.value.Scalar();
    if (path.empty() || path.front() != '/') {
      diag.add(item.at(), item.path,
               quote(path) + " is not an absolute path; /proc/<pid>/exe is always one");
    } else if (path.size() > kMaxPath) {
      diag.add(item.at(), item.path,
               "path is " + std::to_string(path.size()) + " bytes long; at most " +
                   std::to_string(kMaxPath));
    } else {
      paths.push_back(path);
    }
  }
  return paths;
}

std::optional<std::uint32_t> parse_uid(const Field& item, Diagnostics& diag) {
  const std::string what = "a uid 0.." + std::to_string(kMaxUid);
  if (!check_type(item, YAML::NodeType::Scalar, what, diag)) return std::nullopt;
  const std::string& text = item.value.Scalar();
  if (item.value.Tag() == "!") {
    diag.add(item.at(), item.path, "expected " + what + ", got the string " + quote(text));
    return std::nullopt;
  }
  const std::optional<std::uint64_t> uid = parse_number<std::uint64_t>(text);
  if (!uid || *uid > kMaxUid) {
    diag.add(item.at(), item.path, quote(text) + " is not " + what + " (a number, not a name)");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*uid);
}

std::vector<std::uint32_t> parse_uids(const Field& f, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Sequence, "a list of uids such as [0, 101]", diag)) return {};
  std::vector<std::uint32_t> uids;
  for (std::size_t i = 0; i < f.value.size(); ++i) {
    if (const std::optional<std::uint32_t> uid = parse_uid(element(f, i), diag)) {
      uids.push_back(*uid);
    }
  }
  return uids;
}

// One entry of `ports`, with what the cross-entry duplicate check needs.
struct PortEntry {
  PortPolicy policy;
  bool port_valid = false;
  Position port_at;
  std::string path;
};

// Owner lists only apply to expect: present; elsewhere they would be silently ignored.
void check_owner_list(const Field& f, bool list_empty, const PortPolicy& policy,
                      Diagnostics& diag) {
  if (policy.expect == Expect::kPresent || list_empty) return;
  diag.add(f.key, f.path,
           "only applies with expect: present (this entry has expect: " +
               std::string(to_string(policy.expect)) + "), so it would be silently ignored");
}

void parse_owner_lists(const Fields& fields, bool expect_valid, PortPolicy& policy,
                       Diagnostics& diag) {
  if (const Field* f = find(fields, "allowed_processes")) {
    policy.allowed_processes = parse_processes(*f, diag);
    if (expect_valid) check_owner_list(*f, policy.allowed_processes.empty(), policy, diag);
  }
  if (const Field* f = find(fields, "allowed_executables")) {
    policy.allowed_executables = parse_executables(*f, diag);
    if (expect_valid) check_owner_list(*f, policy.allowed_executables.empty(), policy, diag);
  }
  if (const Field* f = find(fields, "allowed_uids")) {
    policy.allowed_uids = parse_uids(*f, diag);
    if (expect_valid) check_owner_list(*f, policy.allowed_uids.empty(), policy, diag);
  }
}

PortEntry parse_port_entry(const Field& entry, Diagnostics& diag) {
  PortEntry out;
  out.path = entry.path;
  if (!check_type(entry, YAML::NodeType::Map, "a map with at least 'port'", diag)) return out;
  const Fields fields = read_map(entry.value, entry.path,
                                 {"port", "protocols", "expect", "description", "namespaces",
                                  "allowed_processes", "allowed_executables", "allowed_uids"},
                                 diag);
  if (const Field* f = find(fields, "port")) {
    const std::optional<std::uint16_t> port = parse_port(*f, diag);
    out.port_valid = port.has_value();
    out.policy.port = port.value_or(0);
    out.port_at = f->at();
  } else {
    diag.add(entry.at(), entry.path, "missing required key 'port'");
  }
  if (const Field* f = find(fields, "protocols")) out.policy.protocols = parse_protocols(*f, diag);
  bool expect_valid = true;
  if (const Field* f = find(fields, "expect")) {
    const std::optional<Expect> expect = parse_enum(*f, kExpectNames, diag);
    expect_valid = expect.has_value();
    out.policy.expect = expect.value_or(Expect::kAbsent);
  }
  if (const Field* f = find(fields, "description")) {
    out.policy.description = parse_description(*f, diag);
  }
  if (const Field* f = find(fields, "namespaces")) {
    out.policy.namespaces = parse_enum(*f, kNamespaceNames, diag);
  }
  parse_owner_lists(fields, expect_valid, out.policy, diag);
  return out;
}

void check_duplicate_ports(const std::vector<PortEntry>& entries, Diagnostics& diag) {
  std::map<std::pair<std::uint16_t, Protocol>, const PortEntry*> first;
  for (const PortEntry& e : entries) {
    if (!e.port_valid) continue;
    for (const Protocol p : e.policy.protocols) {
      const auto [it, inserted] = first.try_emplace({e.policy.port, p}, &e);
      if (inserted) continue;
      diag.add(e.port_at, e.path + ".port",
               "duplicate " + std::to_string(e.policy.port) + "/" + std::string(to_string(p)) +
                   "; already configured by " + it->second->path + " at " +
                   format_position(it->second->port_at));
    }
  }
}

void parse_ports(const Field& f, Config& config, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Sequence, "a list of port entries", diag)) return;
  if (f.value.size() == 0) diag.add(f.at(), f.path, "empty list; nothing to watch");
  std::vector<PortEntry> entries;
  for (std::size_t i = 0; i < f.value.size(); ++i) {
    entries.push_back(parse_port_entry(element(f, i), diag));
  }
  check_duplicate_ports(entries, diag);
  for (PortEntry& e : entries) config.ports.push_back(std::move(e.policy));
}

void parse_interval(const Field& f, Config& config, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Scalar, "a duration such as 15s or 1m30s", diag)) return;
  const std::string& text = f.value.Scalar();
  const Result<std::chrono::milliseconds> interval = parse_duration(text);
  if (!interval) {
    diag.add(f.at(), f.path, interval.error());
  } else if (*interval < kMinInterval || *interval > kMaxInterval) {
    diag.add(f.at(), f.path, text + " is outside 1s..1h");
  } else {
    config.interval = *interval;
  }
}

void parse_namespaces(const Field& f, Config& config, Diagnostics& diag) {
  const std::optional<NamespaceMode> mode = parse_enum(f, kNamespaceNames, diag);
  if (mode) config.namespaces = *mode;
}

// A non-empty list of state names, each at most once; kept in all_connection_states()
// order so that two configs naming the same states compare equal.
void parse_connection_states(const Field& f, Config& config, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Sequence, "a list of states such as [established]", diag)) {
    return;
  }
  if (f.value.size() == 0) {
    diag.add(f.at(), f.path, "empty list; name at least one state (omit the key for all)");
    return;
  }
  std::map<TcpState, Position> seen;
  for (std::size_t i = 0; i < f.value.size(); ++i) {
    const Field item = element(f, i);
    const std::optional<TcpState> state = parse_enum(item, kStateNames, diag);
    if (!state) continue;
    const auto [it, inserted] = seen.try_emplace(*state, item.at());
    if (!inserted) {
      diag.add(item.at(), item.path,
               "duplicate state " + std::string(to_string(*state)) + " (first at " +
                   format_position(it->second) + ")");
    }
  }
  config.connection_states.clear();
  for (const TcpState state : all_connection_states()) {
    if (seen.count(state) != 0) config.connection_states.push_back(state);
  }
}

Config parse_root(const YAML::Node& root, Diagnostics& diag) {
  Config config;
  const Fields fields =
      read_map(root, "", {"interval", "namespaces", "connection_states", "ports"}, diag);
  if (const Field* f = find(fields, "interval")) parse_interval(*f, config, diag);
  if (const Field* f = find(fields, "namespaces")) parse_namespaces(*f, config, diag);
  if (const Field* f = find(fields, "connection_states")) {
    parse_connection_states(*f, config, diag);
  }
  if (const Field* f = find(fields, "ports")) {
    parse_ports(*f, config, diag);
  } else {
    diag.add(position_of(root.Mark()), "ports",
             "missing; nothing to watch (add a list of port entries)");
  }
  return config;
}

// Checks the document's shape, then its content; errors land in `diag`.
Config parse_document(const YAML::Node& root, Diagnostics& diag) {
  if (root.IsNull()) {
    diag.add({1, 1}, "", "the config is empty; expected a map with a 'ports' list");
    return {};
  }
  if (!root.IsMap()) {
    diag.add(position_of(root.Mark()), "",
             "expected a map at the top level, got " + describe(root));
    return {};
  }
  return parse_root(root, diag);
}

// YAML must be Unicode, and every string becomes a label value that Prometheus checks.
void check_utf8(std::string_view text, Diagnostics& diag) {
  const std::size_t bad = first_invalid_utf8(text);
  if (bad == std::string_view::npos) return;
  const std::string_view before = text.substr(0, bad);
  const std::size_t line_start = before.rfind('\n');
  const int line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
  const int column =
      static_cast<int>(line_start == std::string_view::npos ? bad : bad - line_start - 1) + 1;
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[bad]));
  diag.add(Position{line, column}, "", std::string("invalid UTF-8 (byte ") + byte + ")");
}

}  // namespace

std::string_view to_string(Expect e) { return name_of(e, kExpectNames); }

std::string_view to_string(NamespaceMode m) { return name_of(m, kNamespaceNames); }

NamespaceMode namespace_scope(const Config& config, const PortPolicy& policy) {
  return policy.namespaces.value_or(config.namespaces);
}

const std::vector<TcpState>& all_connection_states() {
  static const std::vector<TcpState> states = [] {
    std::vector<TcpState> all;
    all.reserve(kStateNames.size());
    for (const auto& n : kStateNames) all.push_back(n.value);
    return all;
  }();
  return states;
}

Config default_config() {
  PortPolicy mao;
  mao.port = 2908;
  mao.protocols = {Protocol::kTcp, Protocol::kUdp};
  mao.expect = Expect::kAbsent;
  mao.description = "IANA 'mao': no known protocol, nothing should listen here";
  Config config;
  config.ports.push_back(std::move(mao));
  return config;
}

WatchSet watch_set(const Config& config) {
  WatchSet set;
  for (const PortPolicy& policy : config.ports) {
    const bool everywhere = namespace_scope(config, policy) == NamespaceMode::kAll;
    for (const Protocol p : policy.protocols) {
      (p == Protocol::kTcp ? set.tcp : set.udp).push_back(policy.port);
      if (everywhere) {
        (p == Protocol::kTcp ? set.tcp_everywhere : set.udp_everywhere).push_back(policy.port);
      }
    }
  }
  for (std::vector<std::uint16_t>* ports :
       {&set.tcp, &set.udp, &set.tcp_everywhere, &set.udp_everywhere}) {
    std::sort(ports->begin(), ports->end());
    ports->erase(std::unique(ports->begin(), ports->end()), ports->end());
  }
  return set;
}

Result<Config> parse_config(std::string_view yaml, std::string_view source_name) {
  Diagnostics diag(source_name);
  Config config;
  check_utf8(yaml, diag);
  if (!diag.empty()) return Error{diag.str()};
  yaml::Limits limits;
  limits.max_entries = kMaxListEntries;
  if (!yaml::check_bounded(yaml, limits, diag)) return Error{diag.str()};
  try {
    // Never YAML::LoadAll: it loops forever on ",\n" (yaml-cpp #1040). check_bounded has
    // seen the one document and its size; YAML::Load reads exactly that document.
    config = parse_document(YAML::Load(std::string(yaml)), diag);
  } catch (const YAML::Exception& e) {
    diag.add(position_of(e.mark), "invalid YAML", e.msg);
  } catch (const std::exception& e) {  // e.g. bad_alloc: never let it reach a thread's top
    diag.add(Position{}, "", std::string("cannot parse: ") + e.what());
  }
  if (!diag.empty()) return Error{diag.str()};
  return config;
}

Result<Config> load_config(const std::string& path) {
  Result<std::string> text = yaml::read_small_file(path, kMaxConfigBytes, /*settle=*/true);
  if (!text) return Error{text.error()};
  return parse_config(*text, path);
}

}  // namespace port_exporter
