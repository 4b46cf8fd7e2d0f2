// SPDX-License-Identifier: Apache-2.0
#include "base/log.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace port_exporter::log {

namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kLogfmt};
std::mutex g_write_mutex;  // one line at a time on stderr

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_logfmt_value(std::string& out, std::string_view s) {
  const bool quote =
      s.empty() || std::any_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '=' || c == '"' || static_cast<unsigned char>(c) < 0x20;
      });
  if (quote) {
    append_json_string(out, s);  // logfmt quoting uses the same escapes
  } else {
    out += s;
  }
}

void append_field(std::string& out, Format format, std::string_view key, std::string_view value,
                  bool first) {
  if (format == Format::kJson) {
    if (!first) out += ',';
    append_json_string(out, key);
    out += ':';
    append_json_string(out, value);
  } else {
    if (!first) out += ' ';
    out += key;
    out += '=';
    append_logfmt_value(out, value);
  }
}

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

Result<Level> parse_level(std::string_view text) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == level_name(l)) return l;
  }
  return Error{"invalid log level \"" + std::string(text) + "\": use debug, info, warn or error"};
}

Result<Format> parse_format(std::string_view text) {
  if (text == "logfmt") return Format::kLogfmt;
  if (text == "json") return Format::kJson;
  return Error{"invalid log format \"" + std::string(text) + "\": use logfmt or json"};
}

void configure(Level level, Format format) {
  g_level = level;
  g_format = format;
}

std::string format_line(Format format, Level level, std::string_view timestamp,
                        std::string_view msg, Fields fields) {
  std::string out = format == Format::kJson ? "{" : "";
  append_field(out, format, "ts", timestamp, true);
  append_field(out, format, "level", level_name(level), false);
  append_field(out, format, "msg", msg, false);
  for (const auto& [key, value] : fields) append_field(out, format, key, value, false);
  if (format == Format::kJson) out += '}';
  out += '\n';
  return out;
}

void write(Level level, std::string_view msg, Fields fields) {
  if (level < g_level.load()) return;
  const std::string line = format_line(g_format.load(), level, now_rfc3339(), msg, fields);
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace port_exporter::log
