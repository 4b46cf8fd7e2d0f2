// SPDX-License-Identifier: Apache-2.0
// UTF-8 and control-character checks for label values: Prometheus refuses a whole scrape over one
// invalid label, so text from the system (process names) is repaired and config text is validated.
#pragma once

#include <string>
#include <string_view>

namespace port_exporter {

// The offset of the first byte that is not valid UTF-8, or std::string_view::npos.
std::size_t first_invalid_utf8(std::string_view text);
inline bool is_valid_utf8(std::string_view text) {
  return first_invalid_utf8(text) == std::string_view::npos;
}
// The offset of the first C0 control character (U+0000..U+001F) or DEL, or npos.
std::size_t first_control_character(std::string_view text);
// Each byte that does not start a valid UTF-8 sequence, and each C0 control character or
// DEL (a raw ESC, CR or TAB from a process name garbles terminals and logs), becomes U+FFFD.
std::string to_valid_utf8(std::string_view text);

}  // namespace port_exporter
