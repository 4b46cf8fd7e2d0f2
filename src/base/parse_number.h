// SPDX-License-Identifier: Apache-2.0
// Whole-string integer parsing for text from /proc: no sign, no spaces, no trailing bytes.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace port_exporter {

template <typename T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace port_exporter
