// SPDX-License-Identifier: Apache-2.0
// gzip for the exposition: the collection's text is deflated once when it is published;
// a scrape appends only its own small tail (process_* metrics) as a second deflate run and
// frames both as one gzip member, so a request never recompresses the bulk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace port_exporter {

// Raw deflate of a text, ended by a sync flush (byte-aligned, not final): more deflate
// blocks may follow it in the same stream.
struct DeflatedText {
  std::string deflate;
  std::uint32_t crc = 0;  // crc32 of the text
  std::size_t size = 0;   // length of the text
};

DeflatedText deflate_text(std::string_view text);

// A complete gzip file whose content is head's text followed by `tail`.
std::string gzip_with_tail(const DeflatedText& head, std::string_view tail);

// True when an Accept-Encoding value allows gzip (a "gzip" or "*" entry without q=0).
bool accepts_gzip(const char* accept_encoding);

}  // namespace port_exporter
