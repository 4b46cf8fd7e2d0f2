// SPDX-License-Identifier: Apache-2.0
#include "core/policy.h"

#include <algorithm>

namespace port_exporter {

namespace {

// A socket shared by several processes is allowed when any of them is: socket activation
// hands systemd's socket to the service, prefork servers share one among workers.
bool allowed(const PortPolicy& policy, const std::vector<std::string>& owners) {
  if (policy.allowed_processes.empty()) return true;
  return std::any_of(owners.begin(), owners.end(), [&](const std::string& process) {
    return std::find(policy.allowed_processes.begin(), policy.allowed_processes.end(), process) !=
           policy.allowed_processes.end();
  });
}

}  // namespace

PortVerdict evaluate_policy(const PortPolicy& policy, Protocol protocol,
                            const std::vector<std::vector<std::string>>& listener_owners) {
  PortVerdict verdict;
  verdict.port = policy.port;
  verdict.protocol = protocol;
  verdict.expect = policy.expect;
  verdict.description = policy.description;
  switch (policy.expect) {
    case Expect::kAbsent: verdict.unexpected = listener_owners.size(); break;
    case Expect::kPresent:
      verdict.missing = listener_owners.empty() ? 1 : 0;
      verdict.unexpected = static_cast<std::uint64_t>(
          std::count_if(listener_owners.begin(), listener_owners.end(),
                        [&](const std::vector<std::string>& o) { return !allowed(policy, o); }));
      break;
    case Expect::kAny: break;
  }
  return verdict;
}

std::vector<PortVerdict> evaluate_policies(const Config& config, const Snapshot& snapshot) {
  std::vector<PortVerdict> verdicts;
  for (const PortPolicy& policy : config.ports) {
    for (const Protocol protocol : policy.protocols) {
      std::vector<std::vector<std::string>> listener_owners;
      for (const ListeningSocket& socket : snapshot.listening) {
        if (socket.port != policy.port || socket.protocol != protocol) continue;
        std::vector<std::string>& names = listener_owners.emplace_back();
        for (const Owner& owner : socket.owners) names.push_back(owner.process);
      }
      verdicts.push_back(evaluate_policy(policy, protocol, listener_owners));
    }
  }
  return verdicts;
}

}  // namespace port_exporter
