// SPDX-License-Identifier: Apache-2.0
#include "exposition/frame.h"

namespace port_exporter {
namespace {

constexpr char kMagic = 'P';
constexpr std::size_t kHeaderSize = 6;  // magic, flags, u32 length

}  // namespace

std::string encode_frame(const ExpositionFrame& frame) {
  const auto size = static_cast<std::uint32_t>(frame.text.size());
  std::string out;
  out.reserve(kHeaderSize + frame.text.size());
  out.push_back(kMagic);
  out.push_back(frame.ready ? 1 : 0);
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(size >> shift));
  out += frame.text;
  return out;
}

Result<std::optional<ExpositionFrame>> FrameDecoder::next() {
  if (buffer_.size() < kHeaderSize) return std::optional<ExpositionFrame>{};
  const auto byte = [this](std::size_t i) { return static_cast<std::uint8_t>(buffer_[i]); };
  if (buffer_[0] != kMagic || (byte(1) & ~1u) != 0) {
    return Error{"exposition stream: bad frame header"};
  }
  const std::uint32_t size =
      byte(2) | byte(3) << 8 | byte(4) << 16 | static_cast<std::uint32_t>(byte(5)) << 24;
  if (size > kMaxFrameText) {
    return Error{"exposition stream: frame of " + std::to_string(size) +
                 " bytes is over the limit"};
  }
  if (buffer_.size() - kHeaderSize < size) return std::optional<ExpositionFrame>{};
  ExpositionFrame frame{byte(1) == 1, buffer_.substr(kHeaderSize, size)};
  buffer_.erase(0, kHeaderSize + size);
  return std::optional<ExpositionFrame>(std::move(frame));
}

void LatestFrame::store(ExpositionFrame frame) {
  auto text = std::make_shared<const std::string>(std::move(frame.text));
  auto gzip = std::make_shared<const DeflatedText>(deflate_text(*text));  // once per frame
  {
    std::lock_guard<std::mutex> lock(mutex_);
    text_ = std::move(text);
    gzip_ = std::move(gzip);
  }
  ready_ = frame.ready;  // after the text: ready never announces an older exposition
}

std::shared_ptr<const DeflatedText> LatestFrame::gzip() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return gzip_;
}

std::shared_ptr<const std::string> LatestFrame::text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return text_;
}

}  // namespace port_exporter
