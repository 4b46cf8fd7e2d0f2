// SPDX-License-Identifier: Apache-2.0
// Structured logging in logfmt or JSON (the exporter-toolkit's --log.level/--log.format),
// to stderr. Configured once at start-up, before any thread starts.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"

namespace port_exporter::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kLogfmt, kJson };

Result<Level> parse_level(std::string_view text);
Result<Format> parse_format(std::string_view text);
void configure(Level level, Format format);

using Fields = std::initializer_list<std::pair<std::string_view, std::string>>;

// One line: time, level, msg, then the fields in order.
std::string format_line(Format format, Level level, std::string_view timestamp,
                        std::string_view msg, Fields fields);

void write(Level level, std::string_view msg, Fields fields = {});
inline void debug(std::string_view msg, Fields f = {}) { write(Level::kDebug, msg, f); }
inline void info(std::string_view msg, Fields f = {}) { write(Level::kInfo, msg, f); }
inline void warn(std::string_view msg, Fields f = {}) { write(Level::kWarn, msg, f); }
inline void error(std::string_view msg, Fields f = {}) { write(Level::kError, msg, f); }

}  // namespace port_exporter::log
