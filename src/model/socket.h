// SPDX-License-Identifier: Apache-2.0
// SocketRecord: one kernel socket as the sources report it. Everything downstream of the
// sources (snapshot, policy, metrics) works on these value types only.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace port_exporter {

enum class Protocol : std::uint8_t { kTcp, kUdp };
enum class Family : std::uint8_t { kIpv4, kIpv6 };
// Every family, in the order the metrics list them.
inline constexpr Family kFamilies[] = {Family::kIpv4, Family::kIpv6};

// Kernel socket states (include/net/tcp_states.h). UDP reuses them: an unconnected UDP
// socket is kClose, a connected one kEstablished.
enum class TcpState : std::uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
  kNewSynRecv = 12,
};

// A state byte from the kernel (inet_diag_msg, /proc/net/tcp); nullopt for a state this
// build does not know (TCP_BOUND_INACTIVE of Linux 6.5+, anything newer): such sockets are
// skipped, as ss and /proc/net do.
inline std::optional<TcpState> tcp_state_from(std::uint8_t value) {
  if (value < static_cast<std::uint8_t>(TcpState::kEstablished) ||
      value > static_cast<std::uint8_t>(TcpState::kNewSynRecv)) {
    return std::nullopt;
  }
  return static_cast<TcpState>(value);
}

struct Endpoint {
  // Network byte order; IPv4 uses the first 4 bytes, the rest are zero.
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;  // host byte order

  friend bool operator==(const Endpoint& a, const Endpoint& b) {
    return a.address == b.address && a.port == b.port;
  }
};

struct SocketRecord {
  Protocol protocol = Protocol::kTcp;
  Family family = Family::kIpv4;
  TcpState state = TcpState::kClose;
  Endpoint local;
  Endpoint remote;
  std::uint64_t inode = 0;
  std::uint32_t uid = 0;
  // The network namespace's inode; 0: the host's (what a single-namespace source sees).
  std::uint64_t netns = 0;

  friend bool operator==(const SocketRecord& a, const SocketRecord& b) {
    return a.protocol == b.protocol && a.family == b.family && a.state == b.state &&
           a.local == b.local && a.remote == b.remote && a.inode == b.inode && a.uid == b.uid &&
           a.netns == b.netns;
  }
};

// A listener as `ss -l` sees it: TCP in LISTEN, UDP bound and not connected.
inline bool is_listener(const SocketRecord& s) {
  if (s.protocol == Protocol::kTcp) return s.state == TcpState::kListen;
  return s.state == TcpState::kClose && s.remote.port == 0;
}

// The ports to watch, per protocol, sorted and unique: every configured port in the host
// namespace, and those with `namespaces: all` in every other namespace too.
struct WatchSet {
  std::vector<std::uint16_t> tcp;
  std::vector<std::uint16_t> udp;
  std::vector<std::uint16_t> tcp_everywhere{};
  std::vector<std::uint16_t> udp_everywhere{};

  const std::vector<std::uint16_t>& ports(Protocol p) const {
    return p == Protocol::kTcp ? tcp : udp;
  }
  bool empty() const { return tcp.empty() && udp.empty(); }
  bool watches(Protocol p, std::uint16_t port) const {
    const std::vector<std::uint16_t>& list = ports(p);
    return std::binary_search(list.begin(), list.end(), port);
  }
  // A record whose local or remote port is watched for its protocol.
  bool watches(const SocketRecord& r) const {
    return watches(r.protocol, r.local.port) || watches(r.protocol, r.remote.port);
  }
  // What to dump in a namespace other than the host's.
  WatchSet everywhere() const { return WatchSet{tcp_everywhere, udp_everywhere, {}, {}}; }
};

// What a source that sweeps several network namespaces reports besides the records: the
// label of each namespace inode (DESIGN.md: "host", the ip netns name, "netns:<inode>"),
// and how many namespaces each mode served at the last dump.
struct SweptNamespaces {
  std::unordered_map<std::uint64_t, std::string> labels;
  std::uint64_t via_netlink = 0;  // a sock_diag socket created inside with setns
  std::uint64_t via_procfs = 0;   // /proc/<pid>/net of a process inside (setns refused)
  std::uint64_t unreadable = 0;   // neither: no process to read, no setns
  // How old the oldest TCP connection counts held for a netlink-mode namespace are (their
  // all-states dumps are rate-limited), in seconds; 0 with none.
  double connections_age_seconds = 0;
  // The first few processes in each namespace (ascending): whose cgroups name the container
  // or pod of a listener there whose owner is unknown.
  std::unordered_map<std::uint64_t, std::vector<int>> pids{};
};

std::string_view to_string(Protocol p);
std::string_view to_string(Family f);
// Lower snake case label value ("established", "syn_sent", ...); kNewSynRecv maps to
// "syn_recv" as ss does.
std::string_view to_string(TcpState s);
// "0.0.0.0", "::", "127.0.0.1", "::ffff:1.2.3.4" (inet_ntop formatting).
std::string format_address(Family f, const std::array<std::uint8_t, 16>& address);

}  // namespace port_exporter
