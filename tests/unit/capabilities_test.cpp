// SPDX-License-Identifier: Apache-2.0
#include "kernel/capabilities.h"

#include <gtest/gtest.h>

namespace port_exporter {
namespace {

// Recorded from `setpriv --inh-caps=+dac_read_search --ambient-caps=+dac_read_search
// grep Cap /proc/self/status` and from root.
constexpr std::string_view kOnlyDacReadSearch =
    "Name:\tgrep\nUmask:\t0022\nCapInh:\t0000000000000004\nCapPrm:\t0000000000000004\n"
    "CapEff:\t0000000000000004\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000004\n";
constexpr std::string_view kRoot = "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n";

const std::vector<Capability> kOwnerLookup = {Capability::kDacReadSearch, Capability::kSysPtrace};

TEST(CapabilitiesTest, ParsesTheEffectiveMask) {
  EXPECT_EQ(parse_effective_capabilities(kOnlyDacReadSearch).value(), 0x4u);
  EXPECT_EQ(parse_effective_capabilities(kRoot).value(), 0x1ffffffffffu);
}

TEST(CapabilitiesTest, NamesWhatIsMissing) {
  const auto missing = missing_capabilities(0x4, kOwnerLookup);
  EXPECT_EQ(join(missing), "CAP_SYS_PTRACE");
  EXPECT_EQ(join(missing_capabilities(0, kOwnerLookup)), "CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE");
  EXPECT_TRUE(missing_capabilities(0x1ffffffffff, kOwnerLookup).empty());
  EXPECT_EQ(join(missing_capabilities(1u << 19, {Capability::kSysAdmin})), "CAP_SYS_ADMIN");
}

TEST(CapabilitiesTest, RejectsAStatusWithoutAValidCapEff) {
  EXPECT_EQ(parse_effective_capabilities("Name:\tx\n").error(), "no CapEff line");
  EXPECT_EQ(parse_effective_capabilities("CapEff:\tzz\n").error(),
            "CapEff: not a hexadecimal mask: \"zz\"");
}

}  // namespace
}  // namespace port_exporter
