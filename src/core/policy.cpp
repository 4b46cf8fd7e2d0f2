// SPDX-License-Identifier: Apache-2.0
#include "core/policy.h"

#include <algorithm>

namespace port_exporter {

namespace {

template <typename T>
bool listed(const std::vector<T>& list, const T& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

// A socket shared by several processes is allowed when any of them is: socket activation
// hands systemd's socket to the service, prefork servers share one among workers.
bool listener_allowed(const PortPolicy& policy, const ListeningSocket& listener) {
  if (policy.allowed_processes.empty() && policy.allowed_executables.empty() &&
      policy.allowed_uids.empty()) {
    return true;
  }
  if (!listed(policy.allowed_uids, listener.uid)) return false;
  return std::any_of(listener.owners.begin(), listener.owners.end(), [&](const Owner& o) {
    return listed(policy.allowed_processes, o.process) && listed(policy.allowed_executables, o.exe);
  });
}

PortVerdict evaluate_policy(const PortPolicy& policy, Protocol protocol,
                            const std::vector<ListeningSocket>& listeners) {
  PortVerdict verdict;
  verdict.port = policy.port;
  verdict.protocol = protocol;
  verdict.expect = policy.expect;
  verdict.description = policy.description;
  switch (policy.expect) {
    case Expect::kAbsent: verdict.unexpected = listeners.size(); break;
    case Expect::kPresent:
      verdict.missing = listeners.empty() ? 1 : 0;
      verdict.unexpected = static_cast<std::uint64_t>(
          std::count_if(listeners.begin(), listeners.end(),
                        [&](const ListeningSocket& l) { return !listener_allowed(policy, l); }));
      break;
    case Expect::kAny: break;
  }
  return verdict;
}

std::vector<PortVerdict> evaluate_policies(const Config& config, const Snapshot& snapshot) {
  std::vector<PortVerdict> verdicts;
  for (const PortPolicy& policy : config.ports) {
    for (const Protocol protocol : policy.protocols) {
      std::vector<ListeningSocket> listeners;
      for (const ListeningSocket& socket : snapshot.listening) {
        if (socket.port == policy.port && socket.protocol == protocol) listeners.push_back(socket);
      }
      verdicts.push_back(evaluate_policy(policy, protocol, listeners));
    }
  }
  return verdicts;
}

std::vector<AttemptCount> attempts_in_scope(const Config& config,
                                            const std::vector<AttemptCount>& counts,
                                            std::uint32_t host_netns) {
  std::vector<AttemptCount> kept;
  for (const AttemptCount& c : counts) {
    const auto policy =
        std::find_if(config.ports.begin(), config.ports.end(), [&c](const PortPolicy& p) {
          return p.port == c.port &&
                 std::find(p.protocols.begin(), p.protocols.end(), c.protocol) != p.protocols.end();
        });
    if (policy == config.ports.end()) continue;
    if (c.netns == host_netns || namespace_scope(config, *policy) == NamespaceMode::kAll) {
      kept.push_back(c);
    }
  }
  return kept;
}

}  // namespace port_exporter
