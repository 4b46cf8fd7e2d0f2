// SPDX-License-Identifier: Apache-2.0
// YAML guard: proves a config text parses in bounded time and memory before yaml-cpp builds
// any node from it, and refuses what our schema never needs (anchors, aliases, a second
// document, deep nesting, huge lists), each with a positioned message.
#pragma once

#include <cstddef>
#include <string_view>

#include "config/yaml_fields.h"

namespace port_exporter::yaml {

struct Limits {
  // Indicator bytes (- ? : , [ ] { } # & * ! | > ' " % @ `) plus line breaks: an upper bound
  // on the tokens yaml-cpp's scanner makes (see yaml_guard.cpp), hence on its memory.
  std::size_t max_structure = 40000;
  std::size_t max_nodes = 50000;   // scalars, nulls, lists and maps of the document
  std::size_t max_entries = 1000;  // items of one list, pairs of one map
  std::size_t max_depth = 16;      // nested lists and maps; our schema needs 4
};

// True when `text` is one YAML document within `limits`, with no anchor or alias: then
// YAML::Load(text) terminates and its nodes fit the limits. Otherwise the problems
// (positioned, with the key path where one is known) are in `diag`. Syntax errors are left
// for YAML::Load to report.
bool check_bounded(std::string_view text, const Limits& limits, Diagnostics& diag);

}  // namespace port_exporter::yaml
