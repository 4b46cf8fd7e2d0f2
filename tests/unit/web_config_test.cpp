// SPDX-License-Identifier: Apache-2.0
#include "config/web_config.h"

#include <gtest/gtest.h>

namespace port_exporter {
namespace {

// htpasswd -nbBC 4 x pw
constexpr const char* kHash = "$2y$04$OO44ILi.rIX2prOdgGa3ReopnaFt82LCNFNX/wVNhY4ZEFfNF7Gtq";

std::string errors_of(const std::string& yaml) {
  const Result<WebConfig> result = parse_web_config(yaml, "/etc/pe/web.yml");
  return result.ok() ? "<valid>" : result.error();
}

TEST(WebConfigTest, EmptyFileIsPlainHttpWithoutAuth) {
  const auto config = parse_web_config("", "web.yml");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_FALSE(config->tls.has_value());
  EXPECT_TRUE(config->basic_auth_users.empty());
  EXPECT_TRUE(config->headers.empty());
}

TEST(WebConfigTest, ReadsEveryKeyAndResolvesFilesNextToTheConfig) {
  const auto config =
      parse_web_config(std::string("tls_server_config:\n"
                                   "  cert_file: tls/server.crt\n"
                                   "  key_file: /abs/server.key\n"
                                   "  client_auth_type: RequireAndVerifyClientCert\n"
                                   "  client_ca_file: ca.crt\n"
                                   "  min_version: TLS13\n"
                                   "basic_auth_users:\n"
                                   "  prom: ") +
                           kHash +
                           "\nhttp_server_config:\n"
                           "  headers:\n"
                           "    X-Frame-Options: deny\n",
                       "/etc/pe/web.yml");
  ASSERT_TRUE(config.ok()) << config.error();
  ASSERT_TRUE(config->tls.has_value());
  EXPECT_EQ(config->tls->cert_file, "/etc/pe/tls/server.crt");
  EXPECT_EQ(config->tls->key_file, "/abs/server.key");
  EXPECT_EQ(config->tls->client_ca_file, "/etc/pe/ca.crt");
  EXPECT_EQ(config->tls->client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(config->tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(config->tls->max_version, TlsVersion::kTls13);
  EXPECT_EQ(config->basic_auth_users.at("prom"), kHash);
  ASSERT_EQ(config->headers.size(), 1u);
  EXPECT_EQ(config->headers[0], (std::pair<std::string, std::string>{"X-Frame-Options", "deny"}));
}

TEST(WebConfigTest, UnknownKeysAreRefusedWithTheirPosition) {
  EXPECT_EQ(errors_of("tls_server_confg: {}\n"),
            "/etc/pe/web.yml:1:1: tls_server_confg: unknown key; allowed keys: "
            "tls_server_config, http_server_config, basic_auth_users");
}

TEST(WebConfigTest, UnsupportedToolkitKeysSayWhatToUse) {
  EXPECT_EQ(errors_of("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"),
            "/etc/pe/web.yml:4:3: tls_server_config.cipher_suites: not supported by "
            "port_exporter: OpenSSL's defaults are used (TLS 1.3 suites and ECDHE+AEAD for 1.2)");
}

TEST(WebConfigTest, TlsNeedsCertificateAndKey) {
  EXPECT_EQ(errors_of("tls_server_config:\n  min_version: TLS12\n"),
            "/etc/pe/web.yml:2:3: tls_server_config: missing cert_file\n"
            "/etc/pe/web.yml:2:3: tls_server_config: missing key_file");
}

TEST(WebConfigTest, BadEnumsListTheValidValues) {
  EXPECT_EQ(errors_of("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  min_version: TLS14\n"),
            "/etc/pe/web.yml:4:16: tls_server_config.min_version: \"TLS14\" is not valid; "
            "valid values: TLS10, TLS11, TLS12, TLS13");
  EXPECT_EQ(errors_of("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  client_auth_type: Always\n"),
            "/etc/pe/web.yml:4:21: tls_server_config.client_auth_type: \"Always\" is not valid; "
            "valid values: NoClientCert, RequestClientCert, RequireAnyClientCert, "
            "RequireClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert");
}

TEST(WebConfigTest, ClientVerificationNeedsCas) {
  EXPECT_EQ(errors_of("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  client_auth_type: RequireAndVerifyClientCert\n"),
            "/etc/pe/web.yml:2:3: tls_server_config: client_auth_type "
            "RequireAndVerifyClientCert needs client_ca_file (the CAs that sign client "
            "certificates)");
  EXPECT_EQ(errors_of("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  client_ca_file: ca.crt\n"),
            "/etc/pe/web.yml:2:3: tls_server_config: client_ca_file is set but "
            "client_auth_type is NoClientCert; set client_auth_type, e.g. "
            "RequireAndVerifyClientCert");
  EXPECT_EQ(errors_of("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  min_version: TLS13\n  max_version: TLS12\n"),
            "/etc/pe/web.yml:2:3: tls_server_config: min_version is above max_version");
}

TEST(WebConfigTest, PasswordsMustBeBcryptAndAreNeverEchoed) {
  EXPECT_EQ(errors_of("basic_auth_users:\n  prom: hunter2\n"),
            "/etc/pe/web.yml:2:9: basic_auth_users.prom: not a bcrypt hash ($2a$, $2b$ or "
            "$2y$, 60 characters); make one with `htpasswd -nBC 10 USER`");
  EXPECT_EQ(errors_of("basic_auth_users:\n  \"a:b\": x\n"),
            "/etc/pe/web.yml:2:3: basic_auth_users: a user name must be a non-empty string "
            "without ':'");
}

TEST(WebConfigTest, HeadersAreTheToolkitsAllowedOnes) {
  EXPECT_EQ(errors_of("http_server_config:\n  headers:\n    Set-Cookie: a\n"),
            "/etc/pe/web.yml:3:5: http_server_config.headers.Set-Cookie: unknown key; allowed "
            "keys: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
            "X-XSS-Protection, Content-Security-Policy");
  EXPECT_EQ(errors_of("http_server_config:\n  headers:\n    X-Frame-Options: allow\n"),
            "/etc/pe/web.yml:3:22: http_server_config.headers.X-Frame-Options: invalid value "
            "\"allow\"");
}

TEST(WebConfigTest, InvalidYamlIsPositioned) {
  EXPECT_EQ(errors_of("basic_auth_users: [\n"),
            "/etc/pe/web.yml:2:1: invalid YAML: end of sequence flow not found");
}

}  // namespace
}  // namespace port_exporter
