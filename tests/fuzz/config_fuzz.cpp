// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the config loader (text -> Config or positioned errors). Any input must end
// in bounded time and memory (libFuzzer's -timeout and -rss_limit_mb say when not), and a
// valid result must hold what the loader promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const port_exporter::Result<port_exporter::Config> config =
      port_exporter::parse_config(text, "fuzz.yml");
  if (config.ok()) {
    if (config->ports.empty() || config->ports.size() > 1000) std::abort();
    for (const auto& port : config->ports) {
      if (port.port == 0 || port.description.size() > 1024) std::abort();
    }
  } else if (config.error().empty()) {
    std::abort();  // a refusal always says why
  }
  return 0;
}
