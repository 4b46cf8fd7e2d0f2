// SPDX-License-Identifier: Apache-2.0
// Loads recorded fixtures from tests/fixtures (FIXTURES_DIR is set by tests/CMakeLists.txt).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace port_exporter::test {

inline std::string fixture_path(const std::string& relative) {
  return std::string(FIXTURES_DIR) + "/" + relative;
}

// The file's bytes; throws when it is missing, so a test cannot pass on an empty fixture.
inline std::string read_fixture_text(const std::string& relative) {
  std::ifstream in(fixture_path(relative), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::uint8_t> read_fixture_bytes(const std::string& relative) {
  const std::string text = read_fixture_text(relative);
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

}  // namespace port_exporter::test
