// SPDX-License-Identifier: Apache-2.0
#include <civetweb.h>
#include <gtest/gtest.h>

#include "exposition/web.h"

namespace port_exporter {
namespace {

std::string civetweb(const std::string& address) {
  auto ports = civetweb_listening_port(address);
  return ports.ok() ? *ports : "error: " + ports.error();
}

const bool kIpv6 = mg_check_feature(MG_FEATURES_IPV6) != 0;

TEST(WebAddressTest, EmptyHostListensOnEveryAddress) {
  EXPECT_EQ(civetweb(":12908"), kIpv6 ? "+12908" : "12908");
}

TEST(WebAddressTest, NumericAndNamedIpv4Hosts) {
  EXPECT_EQ(civetweb("127.0.0.1:0"), "127.0.0.1:0");
  EXPECT_EQ(civetweb("0.0.0.0:9000"), "0.0.0.0:9000");
  // Without IPv6 in civetweb only IPv4 results are asked for, whatever /etc/hosts lists.
  const std::string localhost = civetweb("localhost:12908");
  if (kIpv6) {
    EXPECT_TRUE(localhost == "127.0.0.1:12908" || localhost == "[::1]:12908") << localhost;
  } else {
    EXPECT_EQ(localhost, "127.0.0.1:12908");
  }
}

TEST(WebAddressTest, BracketedIpv6NeedsCivetwebWithIpv6) {
  if (kIpv6) {
    EXPECT_EQ(civetweb("[::1]:9000"), "[::1]:9000");
  } else {
    EXPECT_EQ(civetweb("[::1]:9000"),
              "error: invalid --web.listen-address \"[::1]:9000\": this build's civetweb has no "
              "IPv6 support; listen on an IPv4 address");
  }
}

TEST(WebAddressTest, OurCivetwebHasIpv6AndTlsPortsEndInS) {
  EXPECT_TRUE(kIpv6);  // scripts/build-civetweb.sh builds it with IPv6
  EXPECT_EQ(civetweb_listening_port(":12908", true).value(), "+12908s");
  EXPECT_EQ(civetweb_listening_port("[::1]:9000", true).value(), "[::1]:9000s");
}

TEST(WebAddressTest, RejectsMalformedAddresses) {
  for (const char* bad : {"12908", ":", ":99999", ":12a", "127.0.0.1:", "[::1:80", "::1:80",
                          "no-such-host.invalid:80"}) {
    EXPECT_EQ(civetweb(bad).rfind("error: invalid --web.listen-address", 0), 0u) << bad;
  }
}

}  // namespace
}  // namespace port_exporter
