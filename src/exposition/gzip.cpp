// SPDX-License-Identifier: Apache-2.0
#include "exposition/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace port_exporter {
namespace {

// Raw deflate (no zlib or gzip framing) of `in` into `out`, with `flush` at the end.
void run_deflate(std::string_view in, int level, int window_bits, int mem_level, int flush,
                 std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -window_bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
    return;
  }
  const std::size_t start = out.size();
  out.resize(start + deflateBound(&z, static_cast<uLong>(in.size())) + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data() + start);
  z.avail_out = static_cast<uInt>(out.size() - start);
  deflate(&z, flush);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
}

void put_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8U * i)) & 0xffU));
}

}  // namespace

DeflatedText deflate_text(std::string_view text) {
  DeflatedText out;
  // Level 6 (zlib's default) once per collection: ratio matters more than the ~ms it costs.
  run_deflate(text, Z_DEFAULT_COMPRESSION, 15, 8, Z_SYNC_FLUSH, out.deflate);
  out.crc = static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  out.size = text.size();
  return out;
}

std::string gzip_with_tail(const DeflatedText& head, std::string_view tail) {
  static constexpr char kHeader[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, 3};  // unix, no mtime
  std::string out(kHeader, sizeof kHeader);
  out.reserve(sizeof kHeader + head.deflate.size() + tail.size() + 64);
  out += head.deflate;
  // The tail is small: a small window and level 1 keep this per-request step cheap.
  run_deflate(tail, 1, 9, 2, Z_FINISH, out);
  const uLong tail_crc =
      crc32(0, reinterpret_cast<const Bytef*>(tail.data()), static_cast<uInt>(tail.size()));
  put_le32(out, static_cast<std::uint32_t>(
                    crc32_combine(head.crc, tail_crc, static_cast<z_off_t>(tail.size()))));
  put_le32(out, static_cast<std::uint32_t>(head.size + tail.size()));
  return out;
}

bool accepts_gzip(const char* accept_encoding) {
  if (accept_encoding == nullptr) return false;
  std::string value(accept_encoding);
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  value.erase(std::remove(value.begin(), value.end(), ' '), value.end());
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t end = std::min(value.find(',', start), value.size());
    const std::string entry = value.substr(start, end - start);
    const std::size_t semi = entry.find(';');
    const std::string coding = entry.substr(0, semi);
    // q=0, q=0.0, q=0.000: "not acceptable".
    const bool refused = semi != std::string::npos && entry.compare(semi, 4, ";q=0") == 0 &&
                         entry.find_first_not_of("0.", semi + 3) == std::string::npos;
    if ((coding == "gzip" || coding == "*") && !refused) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace port_exporter
