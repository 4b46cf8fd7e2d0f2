// SPDX-License-Identifier: Apache-2.0
#include "kernel/capabilities.h"

#include <fstream>
#include <sstream>

#include "base/parse_number.h"

namespace port_exporter {

std::string_view to_string(Capability c) {
  switch (c) {
    case Capability::kDacReadSearch: return "CAP_DAC_READ_SEARCH";
    case Capability::kSysPtrace: return "CAP_SYS_PTRACE";
    case Capability::kSysAdmin: return "CAP_SYS_ADMIN";
  }
  return "unknown";
}

Result<std::uint64_t> parse_effective_capabilities(std::string_view status) {
  constexpr std::string_view kKey = "CapEff:";
  for (std::size_t start = 0; start < status.size();) {
    std::size_t end = status.find('\n', start);
    if (end == std::string_view::npos) end = status.size();
    std::string_view line = status.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, kKey.size()) != kKey) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
    const std::optional<std::uint64_t> mask = parse_number<std::uint64_t>(line, 16);
    if (!mask) return Error{"CapEff: not a hexadecimal mask: \"" + std::string(line) + "\""};
    return *mask;
  }
  return Error{"no CapEff line"};
}

std::vector<Capability> missing_capabilities(std::uint64_t effective,
                                             const std::vector<Capability>& wanted) {
  std::vector<Capability> missing;
  for (const Capability c : wanted) {
    if ((effective & (std::uint64_t{1} << static_cast<unsigned>(c))) == 0) missing.push_back(c);
  }
  return missing;
}

Result<std::uint64_t> effective_capabilities() {
  std::ifstream in("/proc/self/status");
  if (!in) return Error{"/proc/self/status: cannot read"};
  std::ostringstream text;
  text << in.rdbuf();
  auto mask = parse_effective_capabilities(text.str());
  if (!mask) return Error{"/proc/self/status: " + mask.error()};
  return mask;
}

std::string join(const std::vector<Capability>& caps) {
  std::string out;
  for (const Capability c : caps) {
    if (!out.empty()) out += ',';
    out += to_string(c);
  }
  return out;
}

}  // namespace port_exporter
