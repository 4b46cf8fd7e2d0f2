// SPDX-License-Identifier: Apache-2.0
// The --web.config.file (exporter-toolkit format) as values: TLS server settings, basic
// auth users (bcrypt hashes) and extra response headers. Parsing only: the files it names
// are read when the TLS context is built (tls_context.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace port_exporter {

// The toolkit's client_auth_type names, after Go's tls.ClientAuthType.
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

struct TlsServerConfig {
  std::string cert_file;  // absolute, or relative to the web config file's folder
  std::string key_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  std::string client_ca_file;  // empty: none
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;                        // none: plain HTTP
  std::map<std::string, std::string> basic_auth_users;       // user -> bcrypt hash; empty: open
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
};

// `yaml` is the file's text, `path` its name for messages and the base of relative paths.
// Errors are "path:line:column: key: message" lines, every problem found.
Result<WebConfig> parse_web_config(std::string_view yaml, const std::string& path);
Result<WebConfig> load_web_config(const std::string& path);

std::string_view to_string(ClientAuth auth);
std::string_view to_string(TlsVersion version);

}  // namespace port_exporter
