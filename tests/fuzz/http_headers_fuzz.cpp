// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the request headers we parse ourselves — Authorization (Basic credentials)
// and Accept-Encoding — and the gzip framing of an answer: every gzip answer must inflate
// (zlib) to exactly the text it was made from. Input: header bytes, a NUL, answer bytes.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exposition/basic_auth.h"
#include "exposition/gzip.h"

namespace {

std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) std::abort();
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[4096];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END || stream.avail_in != 0) std::abort();  // not one whole member
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string header(input.substr(0, split));
  const std::string_view body = split == std::string_view::npos ? "" : input.substr(split + 1);

  std::string user;
  std::string password;
  if (port_exporter::parse_basic_credentials(header, user, password)) {
    if (user.find(':') != std::string::npos) std::abort();  // the user ends at the first ':'
  }
  (void)port_exporter::accepts_gzip(header.c_str());

  const std::size_t half = body.size() / 2;
  const auto head = port_exporter::deflate_text(body.substr(0, half));
  if (gunzip(port_exporter::gzip_with_tail(head, body.substr(half))) != body) std::abort();
  return 0;
}
