// SPDX-License-Identifier: Apache-2.0
// YAML -> WebConfig with the positioned helpers of the main config: unknown keys, wrong
// types and bad values are reported with their line:column, all at once.
#include "config/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "base/utf8.h"
#include "config/yaml_fields.h"

namespace port_exporter {
namespace {

using yaml::check_type;
using yaml::Diagnostics;
using yaml::EnumName;
using yaml::Field;
using yaml::Fields;
using yaml::find;
using yaml::join;
using yaml::parse_enum;
using yaml::position_of;
using yaml::quote;
using yaml::read_map;

constexpr std::size_t kMaxWebConfigBytes = std::size_t{1024} * 1024;
constexpr std::size_t kMaxUsers = 1000;

constexpr std::array<EnumName<ClientAuth>, 6> kClientAuthNames{{
    {"NoClientCert", ClientAuth::kNoClientCert},
    {"RequestClientCert", ClientAuth::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
    {"RequireClientCert", ClientAuth::kRequireAnyClientCert},  // the toolkit's old name
    {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
}};
constexpr std::array<EnumName<TlsVersion>, 4> kVersionNames{{{"TLS10", TlsVersion::kTls10},
                                                             {"TLS11", TlsVersion::kTls11},
                                                             {"TLS12", TlsVersion::kTls12},
                                                             {"TLS13", TlsVersion::kTls13}}};

// The toolkit's keys that port_exporter knows but does not implement: refused by name
// rather than as unknown, so that the message says what to use instead.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kUnsupportedTlsKeys{{
    {"cert", "give the certificate as a file: cert_file"},
    {"key", "give the key as a file: key_file"},
    {"client_ca", "give the CA certificates as a file: client_ca_file"},
    {"cipher_suites", "OpenSSL's defaults are used (TLS 1.3 suites and ECDHE+AEAD for 1.2)"},
    {"curve_preferences", "OpenSSL's default groups are used"},
    {"client_allowed_sans", "restrict clients with a dedicated client_ca_file instead"},
}};

// The toolkit allows these response headers only, some with fixed values.
constexpr std::array<std::string_view, 5> kAllowedHeaders{
    "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection",
    "Content-Security-Policy"};

std::string text_value(const Field& f, Diagnostics& diag) {
  if (!check_type(f, YAML::NodeType::Scalar, "a string", diag)) return {};
  if (f.value.Scalar().empty()) diag.add(f.at(), f.path, "must not be empty");
  return f.value.Scalar();
}

// The toolkit resolves relative file names against the web config file's folder.
std::string resolve(const std::string& file, const std::string& config_path) {
  if (file.empty() || file.front() == '/') return file;
  const auto slash = config_path.rfind('/');
  return slash == std::string::npos ? file : config_path.substr(0, slash + 1) + file;
}

void check_tls(const Field& where, const TlsServerConfig& tls, Diagnostics& diag) {
  if (tls.cert_file.empty()) diag.add(where.at(), where.path, "missing cert_file");
  if (tls.key_file.empty()) diag.add(where.at(), where.path, "missing key_file");
  if (!tls.client_ca_file.empty() && tls.client_auth == ClientAuth::kNoClientCert) {
    diag.add(where.at(), where.path,
             "client_ca_file is set but client_auth_type is NoClientCert; set "
             "client_auth_type, e.g. RequireAndVerifyClientCert");
  }
  const bool verifies = tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                        tls.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (verifies && tls.client_ca_file.empty()) {
    diag.add(where.at(), where.path,
             std::string("client_auth_type ") + std::string(to_string(tls.client_auth)) +
                 " needs client_ca_file (the CAs that sign client certificates)");
  }
  if (tls.min_version > tls.max_version) {
    diag.add(where.at(), where.path, "min_version is above max_version");
  }
}

std::optional<TlsServerConfig> parse_tls(const Field& f, const std::string& config_path,
                                         Diagnostics& diag) {
  if (f.value.IsNull()) return std::nullopt;  // "tls_server_config:" alone: plain HTTP
  if (!check_type(f, YAML::NodeType::Map, "a map", diag)) return std::nullopt;
  std::vector<std::string_view> allowed = {
      "cert_file",   "key_file",    "client_auth_type",           "client_ca_file",
      "min_version", "max_version", "prefer_server_cipher_suites"};
  for (const auto& [key, why] : kUnsupportedTlsKeys) allowed.push_back(key);
  const Fields fields = read_map(f.value, f.path, allowed, diag);
  for (const auto& [key, why] : kUnsupportedTlsKeys) {
    if (const Field* u = find(fields, std::string(key))) {
      diag.add(u->key, u->path, "not supported by port_exporter: " + std::string(why));
    }
  }
  TlsServerConfig tls;
  if (const Field* v = find(fields, "cert_file")) tls.cert_file = text_value(*v, diag);
  if (const Field* v = find(fields, "key_file")) tls.key_file = text_value(*v, diag);
  if (const Field* v = find(fields, "client_ca_file")) tls.client_ca_file = text_value(*v, diag);
  if (const Field* v = find(fields, "client_auth_type")) {
    tls.client_auth = parse_enum(*v, kClientAuthNames, diag).value_or(tls.client_auth);
  }
  if (const Field* v = find(fields, "min_version")) {
    tls.min_version = parse_enum(*v, kVersionNames, diag).value_or(tls.min_version);
  }
  if (const Field* v = find(fields, "max_version")) {
    tls.max_version = parse_enum(*v, kVersionNames, diag).value_or(tls.max_version);
  }
  if (const Field* v = find(fields, "prefer_server_cipher_suites")) {
    check_type(*v, YAML::NodeType::Scalar, "true or false", diag);  // OpenSSL: always
  }
  check_tls(f, tls, diag);
  tls.cert_file = resolve(tls.cert_file, config_path);
  tls.key_file = resolve(tls.key_file, config_path);
  tls.client_ca_file = resolve(tls.client_ca_file, config_path);
  return tls;
}

bool looks_like_bcrypt(const std::string& hash) {
  return hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
         (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
}

std::map<std::string, std::string> parse_users(const Field& f, Diagnostics& diag) {
  std::map<std::string, std::string> users;
  if (f.value.IsNull()) return users;
  if (!check_type(f, YAML::NodeType::Map, "a map of user: bcrypt hash", diag)) return users;
  if (f.value.size() > kMaxUsers) {
    diag.add(f.at(), f.path, "more than " + std::to_string(kMaxUsers) + " users");
    return users;
  }
  for (const auto& pair : f.value) {
    const yaml::Position at = position_of(pair.first.Mark());
    if (!pair.first.IsScalar() || pair.first.Scalar().empty() ||
        pair.first.Scalar().find(':') != std::string::npos) {
      diag.add(at, f.path, "a user name must be a non-empty string without ':'");
      continue;
    }
    const Field hash{pair.second, at, f.path + "." + pair.first.Scalar()};
    if (!check_type(hash, YAML::NodeType::Scalar, "a bcrypt hash", diag)) continue;
    if (!looks_like_bcrypt(hash.value.Scalar())) {
      // Never echo the value: it may be a clear-text password put there by mistake.
      diag.add(hash.at(), hash.path,
               "not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters); make one with "
               "`htpasswd -nBC 10 USER`");
      continue;
    }
    if (!users.emplace(pair.first.Scalar(), hash.value.Scalar()).second) {
      diag.add(at, hash.path, "duplicate user");
    }
  }
  return users;
}

bool header_value_ok(std::string_view name, const std::string& value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (name == "X-Content-Type-Options") return lower == "nosniff";
  if (name == "X-Frame-Options") return lower == "deny" || lower == "sameorigin";
  return true;
}

std::vector<std::pair<std::string, std::string>> parse_headers(const Field& f, Diagnostics& diag) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (f.value.IsNull()) return headers;
  if (!check_type(f, YAML::NodeType::Map, "a map of header: value", diag)) return headers;
  const std::vector<std::string_view> allowed(kAllowedHeaders.begin(), kAllowedHeaders.end());
  for (const auto& [name, field] : read_map(f.value, f.path, allowed, diag)) {
    if (!check_type(field, YAML::NodeType::Scalar, "a string", diag)) continue;
    const std::string& value = field.value.Scalar();
    if (value.find_first_of("\r\n") != std::string::npos || !header_value_ok(name, value)) {
      diag.add(field.at(), field.path, "invalid value " + quote(value));
      continue;
    }
    headers.emplace_back(name, value);
  }
  return headers;
}

void parse_http(const Field& f, WebConfig& config, Diagnostics& diag) {
  if (f.value.IsNull()) return;
  if (!check_type(f, YAML::NodeType::Map, "a map", diag)) return;
  const Fields fields = read_map(f.value, f.path, {"headers", "http2"}, diag);
  if (const Field* h = find(fields, "headers")) config.headers = parse_headers(*h, diag);
  if (const Field* h = find(fields, "http2")) {  // civetweb speaks HTTP/1.1 only
    check_type(*h, YAML::NodeType::Scalar, "true or false", diag);
  }
}

WebConfig parse_root(const YAML::Node& root, const std::string& path, Diagnostics& diag) {
  WebConfig config;
  if (root.IsNull()) return config;  // an empty file: plain HTTP, no auth (as the toolkit)
  if (!root.IsMap()) {
    diag.add(position_of(root.Mark()), "", "expected a map at the top level");
    return config;
  }
  const Fields fields =
      read_map(root, "", {"tls_server_config", "http_server_config", "basic_auth_users"}, diag);
  if (const Field* f = find(fields, "tls_server_config")) config.tls = parse_tls(*f, path, diag);
  if (const Field* f = find(fields, "basic_auth_users")) {
    config.basic_auth_users = parse_users(*f, diag);
  }
  if (const Field* f = find(fields, "http_server_config")) parse_http(*f, config, diag);
  return config;
}

}  // namespace

std::string_view to_string(ClientAuth auth) {
  for (const auto& n : kClientAuthNames) {
    if (n.value == auth) return n.name;
  }
  return "?";
}

std::string_view to_string(TlsVersion version) {
  for (const auto& n : kVersionNames) {
    if (n.value == version) return n.name;
  }
  return "?";
}

Result<WebConfig> parse_web_config(std::string_view yaml, const std::string& path) {
  Diagnostics diag(path);
  if (first_invalid_utf8(yaml) != std::string_view::npos) {
    diag.add({1, 1}, "", "invalid UTF-8");
    return Error{diag.str()};
  }
  WebConfig config;
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml));
    if (documents.size() > 1) {
      diag.add(position_of(documents[1].Mark()), "", "more than one YAML document");
    }
    if (!documents.empty()) config = parse_root(documents.front(), path, diag);
  } catch (const YAML::Exception& e) {
    diag.add(position_of(e.mark), "invalid YAML", e.msg);
  } catch (const std::exception& e) {
    diag.add(yaml::Position{}, "", std::string("cannot parse: ") + e.what());
  }
  if (!diag.empty()) return Error{diag.str()};
  return config;
}

Result<WebConfig> load_web_config(const std::string& path) {
  Result<std::string> text = yaml::read_small_file(path, kMaxWebConfigBytes);
  if (!text) return Error{text.error()};
  return parse_web_config(*text, path);
}

}  // namespace port_exporter
