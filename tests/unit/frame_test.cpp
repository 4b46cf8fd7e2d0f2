// SPDX-License-Identifier: Apache-2.0
// The exposition frames that cross from the collector to the serving process: whole frames
// out whatever the chunking, and a stream that is not ours refused, never half-used.
#include "exposition/frame.h"

#include <gtest/gtest.h>

namespace port_exporter {
namespace {

TEST(FrameTest, RoundTripsAcrossAnyChunking) {
  const std::string a = encode_frame({false, "port_listeners 0\n"});
  const std::string b = encode_frame({true, std::string(70000, 'x')});
  const std::string stream = a + b;
  for (const std::size_t chunk :
       {std::size_t{1}, std::size_t{5}, std::size_t{4096}, stream.size()}) {
    FrameDecoder decoder;
    std::vector<ExpositionFrame> frames;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      decoder.feed(std::string_view(stream).substr(at, chunk));
      for (;;) {
        auto next = decoder.next();
        ASSERT_TRUE(next.ok()) << next.error();
        if (!next.value()) break;
        frames.push_back(std::move(*next.value()));
      }
    }
    ASSERT_EQ(frames.size(), 2u) << "chunk " << chunk;
    EXPECT_FALSE(frames[0].ready);
    EXPECT_EQ(frames[0].text, "port_listeners 0\n");
    EXPECT_TRUE(frames[1].ready);
    EXPECT_EQ(frames[1].text.size(), 70000u);
  }
}

TEST(FrameTest, AnEmptyTextIsAFrame) {
  FrameDecoder decoder;
  decoder.feed(encode_frame({true, ""}));
  auto next = decoder.next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next.value().has_value());
  EXPECT_TRUE(next.value()->ready);
  EXPECT_EQ(next.value()->text, "");
}

TEST(FrameTest, RefusesABadHeaderAndAnOversizedFrame) {
  FrameDecoder bad_magic;
  bad_magic.feed(std::string("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(bad_magic.next().ok());

  FrameDecoder bad_flags;
  std::string flags = encode_frame({true, "x"});
  flags[1] = 2;
  bad_flags.feed(flags);
  EXPECT_FALSE(bad_flags.next().ok());

  FrameDecoder huge;
  huge.feed(std::string("P\x01\xff\xff\xff\xff", 6));
  const auto next = huge.next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.error().find("over the limit"), std::string::npos);
}

TEST(FrameTest, LatestFrameAnnouncesReadinessWithItsText) {
  LatestFrame latest;
  EXPECT_FALSE(latest.ready());
  EXPECT_EQ(*latest.text(), "");
  const auto before = latest.text();
  latest.store({true, "a 1\n"});
  EXPECT_TRUE(latest.ready());
  EXPECT_EQ(*latest.text(), "a 1\n");
  EXPECT_EQ(*before, "");  // a scrape holding the old text keeps it whole
}

}  // namespace
}  // namespace port_exporter
