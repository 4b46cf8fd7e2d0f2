// SPDX-License-Identifier: Apache-2.0
// The exposition as it crosses from the collecting process to the serving one (a
// socketpair, once per collection): a frame is the readiness flag and the serialized text.
// Pure encoding and an incremental decoder, so the serving side trusts nothing it reads:
// a frame is bounded, and a malformed stream is an error, never a partial exposition.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "exposition/gzip.h"

namespace port_exporter {

struct ExpositionFrame {
  bool ready = false;  // a collection has succeeded: /-/ready answers 200
  std::string text;    // exposition text (format 0.0.4)
};

// 1,000 ports with every label at its limit stay far below this.
inline constexpr std::size_t kMaxFrameText = std::size_t{256} << 20;

// 'P', flags (bit 0: ready), the text length (u32, little endian), the text.
std::string encode_frame(const ExpositionFrame& frame);

// Bytes in, whole frames out. Not thread-safe.
class FrameDecoder {
 public:
  // Appends `bytes` to what is buffered.
  void feed(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  // The next whole frame, nullopt when more bytes are needed, or an error for a stream that
  // is not ours (after which the decoder must not be used).
  Result<std::optional<ExpositionFrame>> next();

 private:
  std::string buffer_;
};

// The last frame received, for the serving threads: written by the receiving thread,
// read by every scrape (a pointer copy under the lock).
class LatestFrame {
 public:
  void store(ExpositionFrame frame);
  bool ready() const { return ready_.load(); }
  std::shared_ptr<const std::string> text() const;
  // The text deflated when it was stored: gzip answers append to it (exposition/gzip.h).
  std::shared_ptr<const DeflatedText> gzip() const;

 private:
  mutable std::mutex mutex_;  // guards the pointers only
  std::shared_ptr<const std::string> text_ = std::make_shared<const std::string>();
  std::shared_ptr<const DeflatedText> gzip_ =
      std::make_shared<const DeflatedText>(deflate_text(""));
  std::atomic<bool> ready_{false};
};

}  // namespace port_exporter
