// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the web config loader (--web.config.file: TLS, basic auth, headers). Any
// input ends in bounded time and memory; a refusal always says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto config = port_exporter::parse_web_config(text, "fuzz-web.yml");
  if (!config.ok() && config.error().empty()) std::abort();
  return 0;
}
