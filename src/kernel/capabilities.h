// SPDX-License-Identifier: Apache-2.0
// Capabilities: which of the capabilities the exporter can use it holds (CapEff of
// /proc/self/status), so that a blind owner lookup or a namespace it cannot enter is said
// at start rather than discovered as "unknown" labels.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace port_exporter {

enum class Capability : std::uint8_t {
  kDacReadSearch = 2,  // list another user's /proc/<pid>/fd
  kSysPtrace = 19,     // readlink in it, and /proc/<pid>/exe
  kSysAdmin = 21,      // setns() into another network namespace
};

std::string_view to_string(Capability c);  // "CAP_SYS_PTRACE"

// The CapEff bit mask of a /proc/<pid>/status text. Pure.
Result<std::uint64_t> parse_effective_capabilities(std::string_view status);

// Of `wanted`, those missing from `effective`, in the order given.
std::vector<Capability> missing_capabilities(std::uint64_t effective,
                                             const std::vector<Capability>& wanted);

// CapEff of the calling process (/proc/self/status).
Result<std::uint64_t> effective_capabilities();

// "CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE"
std::string join(const std::vector<Capability>& caps);

}  // namespace port_exporter
