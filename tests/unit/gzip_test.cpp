// SPDX-License-Identifier: Apache-2.0
#include "exposition/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace port_exporter {
namespace {

// Inflates a gzip file with zlib's own gzip decoder, which checks CRC and length.
std::string gunzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + 15), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : "<rc " + std::to_string(rc) + ">";
}

TEST(GzipTest, HeadDeflatedOnceAndTailPerRequestMakeOneValidMember) {
  std::string head;
  for (int i = 0; i < 2000; ++i) head += "port_listeners{port=\"" + std::to_string(i) + "\"} 0\n";
  const DeflatedText deflated = deflate_text(head);
  EXPECT_LT(deflated.deflate.size(), head.size() / 5);
  EXPECT_EQ(gunzip(gzip_with_tail(deflated, "process_open_fds 12\n")),
            head + "process_open_fds 12\n");
  EXPECT_EQ(gunzip(gzip_with_tail(deflated, "")), head);
  EXPECT_EQ(gunzip(gzip_with_tail(deflate_text(""), "tail\n")), "tail\n");
}

TEST(GzipTest, AcceptEncoding) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip(nullptr));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.0"));
  EXPECT_FALSE(accepts_gzip("x-gzip2"));
}

}  // namespace
}  // namespace port_exporter
