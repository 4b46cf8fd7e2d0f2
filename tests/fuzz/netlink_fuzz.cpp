// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the sock_diag reply decoder. The first byte picks the protocol and whether a
// sequence number is checked; the rest is the datagram, copied to a fresh buffer as the
// real caller's receive buffer is (malloc-aligned, exactly the received length).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "kernel/diag_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const port_exporter::Protocol protocol =
      (data[0] & 1) != 0 ? port_exporter::Protocol::kUdp : port_exporter::Protocol::kTcp;
  const std::optional<std::uint32_t> seq =
      (data[0] & 2) != 0 ? std::optional<std::uint32_t>(data[0] >> 2) : std::nullopt;
  const std::vector<std::uint8_t> datagram(data + 1, data + size);
  (void)port_exporter::decode_diag_messages(datagram.data(), datagram.size(), protocol, seq);
  return 0;
}
