// SPDX-License-Identifier: Apache-2.0
// Durations in the Prometheus style ("15s", "1m30s", "500ms") for the config's interval.
// parse_duration and format_duration are declared in config.h.
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "config/config.h"

namespace port_exporter {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t millis;
};

// Largest first: a duration names its units in this order, each at most once.
constexpr std::array<Unit, 4> kUnits{{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};
constexpr std::string_view kValidUnits = "valid units: h, m, s, ms";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string_view take_while(std::string_view text, std::size_t& pos, bool (*pred)(char)) {
  const std::size_t start = pos;
  while (pos < text.size() && pred(text[pos])) ++pos;
  return text.substr(start, pos - start);
}

std::optional<std::size_t> find_unit(std::string_view name) {
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    if (kUnits[i].name == name) return i;
  }
  return std::nullopt;
}

// Adds digits * factor to total; false when the result would not fit.
bool accumulate(std::string_view digits, std::int64_t factor, std::int64_t& total) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t value = 0;
  for (const char c : digits) {
    const int digit = c - '0';
    if (value > (kMax - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (value > (kMax - total) / factor) return false;
  total += value * factor;
  return true;
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return Error{"empty duration; expected a number and a unit, e.g. 15s or 1m30s"};
  const std::string quoted = in_quotes(text);
  if (text.front() == '-') return Error{quoted + ": negative durations are not allowed"};
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::string_view digits = take_while(text, pos, is_digit);
    const std::string_view name = take_while(text, pos, is_letter);
    if (digits.empty() || (name.empty() && pos < text.size())) {
      return Error{quoted + ": expected whole numbers each followed by a unit, e.g. 15s or 1m30s"};
    }
    if (name.empty()) {
      return Error{quoted + ": missing unit after " + std::string(digits) + "; " +
                   std::string(kValidUnits)};
    }
    const std::optional<std::size_t> unit = find_unit(name);
    if (!unit) {
      return Error{quoted + ": unknown unit " + in_quotes(name) + "; " + std::string(kValidUnits)};
    }
    if (*unit < next_unit) {
      return Error{quoted +
                   ": units must go from largest to smallest, each at most once (h, m, s, ms)"};
    }
    next_unit = *unit + 1;
    if (!accumulate(digits, kUnits[*unit].millis, total)) return Error{quoted + ": too large"};
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  if (d.count() == 0) return "0s";
  if (d.count() < 0) return "-" + format_duration(-d);
  std::string text;
  std::int64_t rest = d.count();
  for (const Unit& unit : kUnits) {
    if (rest >= unit.millis) text += std::to_string(rest / unit.millis) + std::string(unit.name);
    rest %= unit.millis;
  }
  return text;
}

}  // namespace port_exporter
