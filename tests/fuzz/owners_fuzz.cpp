// SPDX-License-Identifier: Apache-2.0
// Fuzz target: what owner lookup parses from /proc: fd link targets ("socket:[123]"),
// pid directory names, and process names made label-safe.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/parse_number.h"
#include "base/utf8.h"
#include "kernel/owners.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)port_exporter::parse_socket_link(text);
  (void)port_exporter::parse_number<int>(text);
  const std::string label = port_exporter::to_valid_utf8(text);
  if (!port_exporter::is_valid_utf8(label) ||
      port_exporter::first_control_character(label) != std::string_view::npos) {
    std::abort();
  }
  return 0;
}
