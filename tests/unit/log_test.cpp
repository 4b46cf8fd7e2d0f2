// SPDX-License-Identifier: Apache-2.0
#include "base/log.h"

#include <gtest/gtest.h>

namespace port_exporter::log {
namespace {

TEST(LogTest, LogfmtQuotesValuesWithSpaces) {
  EXPECT_EQ(format_line(Format::kLogfmt, Level::kWarn, "T", "collection failed",
                        {{"source", "netlink"}, {"err", "recv: No buffer space"}}),
            "ts=T level=warn msg=\"collection failed\" source=netlink "
            "err=\"recv: No buffer space\"\n");
}

TEST(LogTest, JsonEscapesQuotesAndNewlines) {
  EXPECT_EQ(format_line(Format::kJson, Level::kError, "T", "bad", {{"err", "a \"b\"\nc"}}),
            "{\"ts\":\"T\",\"level\":\"error\",\"msg\":\"bad\",\"err\":\"a \\\"b\\\"\\nc\"}\n");
}

TEST(LogTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(*parse_level("warn"), Level::kWarn);
  EXPECT_FALSE(parse_level("WARN").ok());
  EXPECT_EQ(*parse_format("json"), Format::kJson);
  EXPECT_FALSE(parse_format("text").ok());
}

}  // namespace
}  // namespace port_exporter::log
