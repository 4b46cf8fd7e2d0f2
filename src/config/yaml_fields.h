// SPDX-License-Identifier: Apache-2.0
// Positioned YAML walking for the config loader: values with their line:column and key
// path, a strict map reader (unknown and duplicate keys), and the list of problems found.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace port_exporter::yaml {

// 1-based; {0, 0} when yaml-cpp has no position (its marks are 0-based, -1 when missing).
struct Position {
  int line = 0;
  int column = 0;
};

Position position_of(const YAML::Mark& mark);
std::string format_position(Position p);

// Every problem found in one document, reported one per line sorted by position.
class Diagnostics {
 public:
  explicit Diagnostics(std::string_view source) : source_(source) {}

  void add(Position where, std::string_view path, const std::string& message);
  bool empty() const { return entries_.empty(); }
  // "source:line:column: path: message" lines, sorted by position.
  std::string str() const;

 private:
  struct Entry {
    Position where;
    std::string text;
  };
  std::string source_;
  std::vector<Entry> entries_;
};

// A value with where it came from. yaml-cpp marks a null value at the token after it, so
// `key` (the key's position, or the list's for a list element) is used for nulls.
struct Field {
  YAML::Node value;
  Position key;
  std::string path;

  Position at() const { return value.IsNull() ? key : position_of(value.Mark()); }
};
using Fields = std::map<std::string, Field>;

std::string quote(std::string_view text);
std::string join(const std::vector<std::string_view>& names);
// "a map", "a list", "null" or the quoted scalar: for "expected X, got Y" messages.
std::string describe(const YAML::Node& node);

// True when the value has the wanted type; otherwise reports null or the wrong shape.
bool check_type(const Field& f, YAML::NodeType::value want, const std::string& what,
                Diagnostics& diag);
// The keys of `map`, each checked against `allowed`; unknown and duplicate keys reported.
Fields read_map(const YAML::Node& map, const std::string& path,
                const std::vector<std::string_view>& allowed, Diagnostics& diag);
const Field* find(const Fields& fields, const std::string& name);

// A config value's spelling and what it means, for the enums of both config files.
template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

// One of `names`; otherwise an error listing the valid values.
template <typename E, std::size_t N>
std::optional<E> parse_enum(const Field& f, const std::array<EnumName<E>, N>& names,
                            Diagnostics& diag) {
  std::vector<std::string_view> valid;
  valid.reserve(N);
  for (const auto& n : names) valid.push_back(n.name);
  if (!check_type(f, YAML::NodeType::Scalar, "one of " + join(valid), diag)) return std::nullopt;
  for (const auto& n : names) {
    if (n.name == f.value.Scalar()) return n.value;
  }
  diag.add(f.at(), f.path, quote(f.value.Scalar()) + " is not valid; valid values: " + join(valid));
  return std::nullopt;
}
Field element(const Field& list, std::size_t index);

// A regular file of at most `max_bytes`: a FIFO would block a reload, /dev/zero would never
// end. Errors name the path.
// With `settle`, a file last written less than 100 ms ago is also looked at again once it
// is 100 ms old (a writer between two of its writes changes it meanwhile): the main config.
// Without it (the web config, re-read in the serving process; see the web branch notes),
// only the change-while-read check applies.
Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes,
                                    bool settle = false);

}  // namespace port_exporter::yaml
