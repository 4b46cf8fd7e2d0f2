// SPDX-License-Identifier: Apache-2.0
#include "exposition/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <memory>

namespace port_exporter {
namespace {

constexpr std::size_t kMaxCached = 1024;
constexpr std::size_t kMaxHeader = 4096;

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool base64_decode(std::string_view in, std::string& out) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  unsigned bits = 0;
  int count = 0;
  for (char c : in) {
    const int v = base64_value(c);
    if (v < 0) return false;
    bits = (bits << 6U) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> static_cast<unsigned>(count)) & 0xffU));
    }
  }
  return count < 6;  // 6 leftover bits: a truncated character
}

std::string digest(const std::string& user, const std::string& password, const std::string& hash) {
  std::string input = user;
  input += '\0';
  input += password;
  input += '\0';
  input += hash;
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), out.data());
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(out.begin(), out.end());
}

// crypt(3) of libxcrypt: bcrypt for $2a$/$2b$/$2y$ settings. Empty on failure.
std::string bcrypt(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), setting.c_str(), data.get(), sizeof *data);
  std::string result = (out != nullptr && out[0] != '*') ? out : "";
  OPENSSL_cleanse(data.get(), sizeof *data);
  return result;
}

std::string make_decoy(const std::map<std::string, std::string>& users) {
  if (users.empty()) return {};
  const std::string& model = users.begin()->second;  // "$2b$10$...": same cost
  const char tens = model[4];
  const char ones = model[5];
  if (tens < '0' || tens > '3' || ones < '0' || ones > '9') return model;
  const int cost = (tens - '0') * 10 + (ones - '0');
  auto data = std::make_unique<crypt_data>();
  const char* setting = crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0,
                                         data->setting, sizeof data->setting);
  return setting != nullptr ? bcrypt("decoy", setting) : model;
}

}  // namespace

bool parse_basic_credentials(std::string_view header, std::string& user, std::string& password) {
  if (header.size() > kMaxHeader || header.size() < 6) return false;
  const std::string_view scheme = header.substr(0, 6);
  if (scheme.size() != 6 || (scheme[0] != 'B' && scheme[0] != 'b') ||
      scheme.substr(1, 4) != "asic" || scheme[5] != ' ') {
    return false;
  }
  header.remove_prefix(6);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  std::string decoded;
  if (!base64_decode(header, decoded)) return false;
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  user = decoded.substr(0, colon);
  password = decoded.substr(colon + 1);
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return true;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users)
    : users_(std::move(users)), decoy_hash_(make_decoy(users_)) {}

bool BasicAuth::allows(const char* authorization) {
  if (!enabled()) return true;
  if (authorization == nullptr) return false;
  std::string user;
  std::string password;
  if (!parse_basic_credentials(authorization, user, password)) return false;
  const bool ok = verify(user, password);
  OPENSSL_cleanse(password.data(), password.size());
  return ok;
}

bool BasicAuth::verify(const std::string& user, const std::string& password) {
  const auto found = users_.find(user);
  const bool known = found != users_.end();
  const std::string& hash = known ? found->second : decoy_hash_;
  const std::string key = digest(user, password, hash);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (known && verified_.count(key) != 0) return true;
  }
  std::string computed;
  {
    std::lock_guard<std::mutex> lock(bcrypt_mutex_);
    computed = bcrypt(password, hash);
  }
  // Constant time over the whole hash; an unknown user fails after the same work.
  const bool match = computed.size() == hash.size() &&
                     CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
  if (!known || !match) return false;
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (verified_.size() >= kMaxCached) verified_.clear();
  verified_.insert(key);
  return true;
}

}  // namespace port_exporter
