// SPDX-License-Identifier: Apache-2.0
#include "exposition/basic_auth.h"

#include <gtest/gtest.h>

namespace port_exporter {
namespace {

// htpasswd -nbBC 4 x pw
constexpr const char* kHash = "$2y$04$OO44ILi.rIX2prOdgGa3ReopnaFt82LCNFNX/wVNhY4ZEFfNF7Gtq";

TEST(BasicAuthTest, ParsesCredentials) {
  std::string user;
  std::string password;
  ASSERT_TRUE(parse_basic_credentials("Basic cHJvbTpwdzpwdw==", user, password));
  EXPECT_EQ(user, "prom");
  EXPECT_EQ(password, "pw:pw");  // only the first ':' separates
  EXPECT_TRUE(parse_basic_credentials("basic eDo=", user, password));
  EXPECT_EQ(user, "x");
  EXPECT_EQ(password, "");
}

TEST(BasicAuthTest, RefusesMalformedHeaders) {
  std::string user;
  std::string password;
  for (const char* bad : {"", "Basic", "Bearer eDpwdw==", "Basic eDpwdw=!", "Basic eHB3",
                          "Basic %%%", "Digest eDpwdw=="}) {
    EXPECT_FALSE(parse_basic_credentials(bad, user, password)) << bad;
  }
}

TEST(BasicAuthTest, ChecksTheBcryptHash) {
  BasicAuth auth(std::map<std::string, std::string>{{"x", kHash}});
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.allows("Basic eDpwdw=="));   // x:pw
  EXPECT_TRUE(auth.allows("Basic eDpwdw=="));   // cached
  EXPECT_FALSE(auth.allows("Basic eDpwVw=="));  // x:pW
  EXPECT_FALSE(auth.allows("Basic eTpwdw=="));  // y:pw, unknown user
  EXPECT_FALSE(auth.allows(nullptr));
}

TEST(BasicAuthTest, NoUsersAllowsEveryone) {
  BasicAuth auth(std::map<std::string, std::string>{});
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.allows(nullptr));
}

}  // namespace
}  // namespace port_exporter
