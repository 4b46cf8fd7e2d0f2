// SPDX-License-Identifier: Apache-2.0
// Snapshot: what one collection found on the watched ports, as counts, listener identities
// and the listening sockets with their owners. Built by a pure function from socket
// records, owners and config; the policy stage (core/policy.h) judges it and the
// exposition only formats it.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "model/owner.h"
#include "model/socket.h"

namespace port_exporter {

enum class Direction : std::uint8_t { kInbound, kOutbound };
inline constexpr Direction kDirections[] = {Direction::kInbound, Direction::kOutbound};
std::string_view to_string(Direction d);

struct ListenerCount {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  Family family = Family::kIpv4;
  std::uint64_t count = 0;
};

struct ConnectionCount {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  Family family = Family::kIpv4;
  Direction direction = Direction::kInbound;
  TcpState state = TcpState::kEstablished;
  std::uint64_t count = 0;
};

// One distinct listener identity. Sockets with identical labels (a SO_REUSEPORT group in
// one process) share one entry: port_listeners carries the socket count.
struct ListenerInfo {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  Family family = Family::kIpv4;
  std::string address;
  std::uint32_t uid = 0;
  int pid = 0;          // 0: unknown
  std::string process;  // "unknown" when the owner was not found
  std::string exe{};    // empty when unknown
  std::string netns{"host"};
  // Empty where not applicable (a process outside any container or pod).
  std::string container_id{};
  std::string k8s_namespace_name{};
  std::string k8s_pod_name{};
  std::string k8s_container_name{};

  auto key() const {
    return std::tie(port, protocol, family, address, uid, pid, process, exe, netns, container_id,
                    k8s_namespace_name, k8s_pod_name, k8s_container_name);
  }
  friend bool operator==(const ListenerInfo& a, const ListenerInfo& b) {
    return a.key() == b.key();
  }
  friend bool operator<(const ListenerInfo& a, const ListenerInfo& b) { return a.key() < b.key(); }
};

// One listening socket on a configured (port, protocol), with every process holding it
// (none when the owner lookup found nothing): what an expectation is applied to.
struct ListeningSocket {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  std::uint32_t uid = 0;  // the socket's uid (sock_diag and /proc/net report it)
  std::vector<Owner> owners;
};

struct Snapshot {
  std::vector<ListenerCount> listeners;      // every port x protocol x family, zeros included
  std::vector<ConnectionCount> connections;  // every port x protocol x family x direction x state
  std::vector<ListenerInfo> listener_info;   // sorted, unique
  std::vector<ListeningSocket> listening;    // every listening socket on a configured port
};

// The connection states exposed for a protocol: the config's connection_states for TCP
// (default: every state but listen); for UDP established (a connected UDP socket) when the
// config keeps it, else none.
std::vector<TcpState> connection_states(const Config& config, Protocol p);

// Pure: counts the records the way `ss` does. Records on unwatched ports are ignored, so a
// source may over-report.
// `netns_labels` names the namespaces of records with a netns inode (the others are
// "netns:<inode>"; inode 0 is "host"). A record of another namespace counts only for ports
// whose scope is `namespaces: all`.
// `netns_containers`: the container or pod of a namespace, for its listeners whose owner is
// unknown (an owner's own identity comes with it, in Owner::container).
using NamespaceLabels = std::unordered_map<std::uint64_t, std::string>;
using NamespaceContainers = std::unordered_map<std::uint64_t, ContainerIdentity>;
Snapshot build_snapshot(const Config& config, const std::vector<SocketRecord>& records,
                        const OwnerMap& owners, const NamespaceLabels& netns_labels = {},
                        const NamespaceContainers& netns_containers = {});

// The inodes of listeners on watched ports: what the owner lookup needs to resolve.
std::vector<std::uint64_t> listener_inodes(const Config& config,
                                           const std::vector<SocketRecord>& records);
// The same with each socket's namespace: the owner lookup reads that namespace's processes
// first.
std::vector<SocketRef> listener_sockets(const Config& config,
                                        const std::vector<SocketRecord>& records);

}  // namespace port_exporter
