// SPDX-License-Identifier: Apache-2.0
#include "config/yaml_fields.h"

#include <algorithm>
#include <utility>

namespace port_exporter::yaml {

Position position_of(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

std::string format_position(Position p) {
  return std::to_string(p.line) + ":" + std::to_string(p.column);
}

void Diagnostics::add(Position where, std::string_view path, const std::string& message) {
  entries_.push_back({where, path.empty() ? message : std::string(path) + ": " + message});
}

std::string Diagnostics::str() const {
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  std::string out;
  for (const Entry& e : sorted) {
    if (!out.empty()) out += '\n';
    out += source_ + ":";
    if (e.where.line > 0) out += format_position(e.where) + ":";
    out += " " + e.text;
  }
  return out;
}

std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (const std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return node.IsScalar() ? quote(node.Scalar()) : "null";
}

bool check_type(const Field& f, YAML::NodeType::value want, const std::string& what,
                Diagnostics& diag) {
  if (f.value.Type() == want) return true;
  if (f.value.IsNull()) {
    diag.add(f.at(), f.path, "missing value (null); expected " + what);
  } else {
    diag.add(f.at(), f.path, "expected " + what + ", got " + describe(f.value));
  }
  return false;
}

Fields read_map(const YAML::Node& map, const std::string& path,
                const std::vector<std::string_view>& allowed, Diagnostics& diag) {
  Fields fields;
  for (const auto& pair : map) {
    const Position at = position_of(pair.first.Mark());
    if (!pair.first.IsScalar()) {
      diag.add(at, path, "expected a plain key, got " + describe(pair.first));
      continue;
    }
    const std::string& name = pair.first.Scalar();
    std::string key_path = path;
    if (!key_path.empty()) key_path += '.';
    key_path += name;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      diag.add(at, key_path, "unknown key; allowed keys: " + join(allowed));
      continue;
    }
    const auto [it, inserted] = fields.try_emplace(name, Field{pair.second, at, key_path});
    if (!inserted) {
      diag.add(at, key_path, "duplicate key (first at " + format_position(it->second.key) + ")");
    }
  }
  return fields;
}

const Field* find(const Fields& fields, const std::string& name) {
  const auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

Field element(const Field& list, std::size_t index) {
  return Field{list.value[index], list.at(), list.path + "[" + std::to_string(index) + "]"};
}

}  // namespace port_exporter::yaml
