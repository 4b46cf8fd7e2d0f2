// SPDX-License-Identifier: Apache-2.0
// Fuzz target: durations ("1m30s"). A parsed value must format back to text that parses to
// the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = port_exporter::parse_duration(text);
  if (!parsed) return 0;
  const auto again = port_exporter::parse_duration(port_exporter::format_duration(*parsed));
  if (!again || *again != *parsed) std::abort();
  return 0;
}
