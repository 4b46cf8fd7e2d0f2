#include "policy.h"

#include <algorithm>

namespace port_exporter {

namespace {

bool allowed(const PortPolicy& policy, const std::string& process) {
  if (policy.allowed_processes.empty()) return true;
  return std::find(policy.allowed_processes.begin(), policy.allowed_processes.end(),
                   process) != policy.allowed_processes.end();
}

}  // namespace

PortVerdict evaluate_policy(const PortPolicy& policy, Protocol protocol,
                            const std::vector<std::string>& listener_processes) {
  PortVerdict verdict;
  verdict.port = policy.port;
  verdict.protocol = protocol;
  verdict.expect = policy.expect;
  verdict.description = policy.description;
  switch (policy.expect) {
    case Expect::kAbsent:
      verdict.unexpected = listener_processes.size();
      break;
    case Expect::kPresent:
      verdict.missing = listener_processes.empty() ? 1 : 0;
      verdict.unexpected = static_cast<std::uint64_t>(
          std::count_if(listener_processes.begin(), listener_processes.end(),
                        [&](const std::string& p) { return !allowed(policy, p); }));
      break;
    case Expect::kAny:
      break;
  }
  return verdict;
}

}  // namespace port_exporter
