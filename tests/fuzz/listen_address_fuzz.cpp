// SPDX-License-Identifier: Apache-2.0
// Fuzz target: --web.listen-address ("[HOST]:PORT") -> civetweb's listening_ports value.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exposition/web.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)port_exporter::civetweb_listening_port(text);
  return 0;
}
