// SPDX-License-Identifier: Apache-2.0
// UTF-8 checks for label values: Prometheus refuses a whole scrape over one invalid label,
// so text from the system (process names) is repaired and config text is validated.
#pragma once

#include <string>
#include <string_view>

namespace port_exporter {

// The offset of the first byte that is not valid UTF-8, or std::string_view::npos.
std::size_t first_invalid_utf8(std::string_view text);
inline bool is_valid_utf8(std::string_view text) {
  return first_invalid_utf8(text) == std::string_view::npos;
}
// Each byte that does not start a valid UTF-8 sequence becomes U+FFFD.
std::string to_valid_utf8(std::string_view text);

}  // namespace port_exporter
