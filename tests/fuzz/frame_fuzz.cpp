// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the frame decoder of the serving process, the one place where bytes cross
// the privilege boundary from the collector. Input: a chunk-size byte, then the stream,
// fed in chunks of that size. Every frame decoded must re-encode to a frame that decodes
// to the same content; a malformed stream is an error, never a partial frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "exposition/frame.h"

namespace {

bool same(const port_exporter::ExpositionFrame& a, const port_exporter::ExpositionFrame& b) {
  return a.ready == b.ready && a.text == b.text;
}

// Decodes every whole frame buffered; false after an error.
bool drain(port_exporter::FrameDecoder& decoder) {
  for (;;) {
    auto frame = decoder.next();
    if (!frame.ok()) return false;
    if (!frame->has_value()) return true;
    port_exporter::FrameDecoder again;
    again.feed(port_exporter::encode_frame(**frame));
    auto decoded = again.next();
    if (!decoded.ok() || !decoded->has_value() || !same(**decoded, **frame)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = data[0] == 0 ? 1 : data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  port_exporter::FrameDecoder decoder;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    decoder.feed(stream.substr(at, chunk));
    if (!drain(decoder)) return 0;  // the decoder must not be used after an error
  }
  return 0;
}
