// SPDX-License-Identifier: Apache-2.0
#include "core/snapshot.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace port_exporter {

namespace {

constexpr const char* kUnknown = "unknown";

// One configured (port, protocol): where its counts live in the snapshot's vectors.
struct Slot {
  std::uint16_t port;
  Protocol protocol;
  const std::vector<TcpState>* states;  // the exposed connection states of the protocol
  std::size_t first_listener;           // index into Snapshot::listeners (ipv4, then ipv6)
  std::size_t first_connection;         // index into Snapshot::connections
  bool everywhere;  // namespaces: all; else records of other namespaces are not its
};

std::size_t family_index(Family f) { return f == Family::kIpv4 ? 0 : 1; }

std::size_t state_index(const std::vector<TcpState>& states, TcpState s) {
  const TcpState wanted = s == TcpState::kNewSynRecv ? TcpState::kSynRecv : s;
  const auto it = std::find(states.begin(), states.end(), wanted);
  return it == states.end() ? states.size() : static_cast<std::size_t>(it - states.begin());
}

bool slot_before(const Slot& s, std::pair<std::uint16_t, Protocol> key) {
  return std::make_pair(s.port, s.protocol) < key;
}

// The exposed connection states of TCP and UDP, computed once per snapshot.
struct ExposedStates {
  std::vector<TcpState> tcp;
  std::vector<TcpState> udp;
  const std::vector<TcpState>& of(Protocol p) const { return p == Protocol::kTcp ? tcp : udp; }
};

// Lays out every configured combination with a zero count, so absence is a value.
std::vector<Slot> lay_out(const Config& config, const ExposedStates& exposed, Snapshot& snapshot) {
  std::vector<Slot> slots;
  for (const PortPolicy& policy : config.ports) {
    for (Protocol protocol : policy.protocols) {
      const Slot slot{policy.port,
                      protocol,
                      &exposed.of(protocol),
                      snapshot.listeners.size(),
                      snapshot.connections.size(),
                      namespace_scope(config, policy) == NamespaceMode::kAll};
      slots.push_back(slot);
      for (Family family : kFamilies) {
        snapshot.listeners.push_back({policy.port, protocol, family, 0});
      }
      for (Family family : kFamilies) {
        for (Direction direction : kDirections) {
          for (TcpState state : *slot.states) {
            snapshot.connections.push_back({policy.port, protocol, family, direction, state, 0});
          }
        }
      }
    }
  }
  std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
    return slot_before(a, {b.port, b.protocol});
  });
  return slots;
}

Slot* find_slot(std::vector<Slot>& slots, const SocketRecord& record, std::uint16_t port) {
  const Protocol protocol = record.protocol;
  const auto it =
      std::lower_bound(slots.begin(), slots.end(), std::make_pair(port, protocol), slot_before);
  if (it == slots.end() || it->port != port || it->protocol != protocol) return nullptr;
  if (record.netns != 0 && !it->everywhere) return nullptr;  // outside the port's scope
  return &*it;
}

void count_connection(Snapshot& snapshot, const Slot& slot, const SocketRecord& record,
                      Direction direction) {
  const auto& states = *slot.states;
  const std::size_t state = state_index(states, record.state);
  // A state the config does not keep, or a UDP socket in a state ss never shows.
  if (state == states.size()) return;
  const std::size_t per_family = 2 * states.size();
  const std::size_t index = slot.first_connection + family_index(record.family) * per_family +
                            (direction == Direction::kInbound ? 0 : states.size()) + state;
  snapshot.connections[index].count++;
}

// One identity per process holding the socket (as `ss -p` lists them), or one "unknown".
void set_container(ListenerInfo& info, const ContainerIdentity& container) {
  info.container_id = container.container_id;
  info.k8s_namespace_name = container.k8s_namespace_name;
  info.k8s_pod_name = container.k8s_pod_name;
  info.k8s_container_name = container.k8s_container_name;
}

std::vector<ListenerInfo> describe_listener(const Slot& slot, const SocketRecord& record,
                                            const OwnerMap& owners,
                                            const NamespaceContainers& netns_containers) {
  ListenerInfo base;
  base.port = slot.port;
  base.protocol = slot.protocol;
  base.family = record.family;
  base.address = format_address(record.family, record.local.address);
  base.uid = record.uid;
  base.process = kUnknown;
  const auto found = owners.find(record.inode);
  if (found == owners.end() || found->second.empty()) {
    if (const auto ns = netns_containers.find(record.netns);
        record.netns != 0 && ns != netns_containers.end()) {
      set_container(base, ns->second);
    }
    return {base};
  }
  std::vector<ListenerInfo> infos;
  for (const Owner& owner : found->second) {
    ListenerInfo info = base;
    info.pid = owner.pid;
    info.process = owner.process;
    info.exe = owner.exe;
    set_container(info, owner.container);
    infos.push_back(std::move(info));
  }
  return infos;
}

std::string netns_label(std::uint64_t netns, const NamespaceLabels& labels) {
  if (netns == 0) return "host";
  const auto found = labels.find(netns);
  return found != labels.end() ? found->second : "netns:" + std::to_string(netns);
}

}  // namespace

std::string_view to_string(Direction d) {
  return d == Direction::kInbound ? "inbound" : "outbound";
}

std::vector<TcpState> connection_states(const Config& config, Protocol p) {
  if (p == Protocol::kTcp) return config.connection_states;
  const auto& kept = config.connection_states;
  if (std::find(kept.begin(), kept.end(), TcpState::kEstablished) == kept.end()) return {};
  return {TcpState::kEstablished};
}

Snapshot build_snapshot(const Config& config, const std::vector<SocketRecord>& records,
                        const OwnerMap& owners, const NamespaceLabels& netns_labels,
                        const NamespaceContainers& netns_containers) {
  Snapshot snapshot;
  const ExposedStates exposed{connection_states(config, Protocol::kTcp),
                              connection_states(config, Protocol::kUdp)};
  std::vector<Slot> slots = lay_out(config, exposed, snapshot);
  for (const SocketRecord& record : records) {
    if (is_listener(record)) {
      Slot* slot = find_slot(slots, record, record.local.port);
      if (slot == nullptr) continue;
      snapshot.listeners[slot->first_listener + family_index(record.family)].count++;
      for (ListenerInfo& info : describe_listener(*slot, record, owners, netns_containers)) {
        info.netns = netns_label(record.netns, netns_labels);
        snapshot.listener_info.push_back(std::move(info));
      }
      const auto found = owners.find(record.inode);
      snapshot.listening.push_back({slot->port, slot->protocol, record.uid,
                                    found == owners.end() ? std::vector<Owner>{} : found->second});
      continue;
    }
    if (Slot* slot = find_slot(slots, record, record.local.port)) {
      count_connection(snapshot, *slot, record, Direction::kInbound);
    }
    if (Slot* slot = find_slot(slots, record, record.remote.port)) {
      count_connection(snapshot, *slot, record, Direction::kOutbound);
    }
  }
  std::sort(snapshot.listener_info.begin(), snapshot.listener_info.end());
  snapshot.listener_info.erase(
      std::unique(snapshot.listener_info.begin(), snapshot.listener_info.end()),
      snapshot.listener_info.end());

  return snapshot;
}

std::vector<std::uint64_t> listener_inodes(const Config& config,
                                           const std::vector<SocketRecord>& records) {
  const WatchSet watch = watch_set(config);
  std::vector<std::uint64_t> inodes;
  for (const SocketRecord& record : records) {
    if (!is_listener(record) || record.inode == 0) continue;
    if (watch.watches(record.protocol, record.local.port)) {
      inodes.push_back(record.inode);
    }
  }
  std::sort(inodes.begin(), inodes.end());
  inodes.erase(std::unique(inodes.begin(), inodes.end()), inodes.end());
  return inodes;
}

std::vector<SocketRef> listener_sockets(const Config& config,
                                        const std::vector<SocketRecord>& records) {
  const WatchSet watch = watch_set(config);
  std::vector<SocketRef> sockets;
  for (const SocketRecord& record : records) {
    if (!is_listener(record) || record.inode == 0) continue;
    if (watch.watches(record.protocol, record.local.port)) {
      sockets.push_back({record.inode, record.netns, record.uid});
    }
  }
  std::sort(sockets.begin(), sockets.end(),
            [](const SocketRef& a, const SocketRef& b) { return a.inode < b.inode; });
  sockets.erase(
      std::unique(sockets.begin(), sockets.end(),
                  [](const SocketRef& a, const SocketRef& b) { return a.inode == b.inode; }),
      sockets.end());
  return sockets;
}

}  // namespace port_exporter
