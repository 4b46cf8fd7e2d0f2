// SPDX-License-Identifier: Apache-2.0
// HTTP basic authentication against the web config's bcrypt hashes. A successful check is
// cached (keyed by a digest of user, password and hash) so that a scrape pays one bcrypt
// per password, not one per request; failures are never cached and never say why.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace port_exporter {

class BasicAuth {
 public:
  // user -> bcrypt hash; empty: every request is allowed.
  explicit BasicAuth(std::map<std::string, std::string> users);

  bool enabled() const { return !users_.empty(); }
  // `authorization`: the Authorization header's value, nullptr when absent. Thread-safe.
  bool allows(const char* authorization);

 private:
  bool verify(const std::string& user, const std::string& password);

  std::map<std::string, std::string> users_;
  // For unknown users: a hash of the same cost, so that their check takes as long.
  std::string decoy_hash_;
  std::mutex cache_mutex_;
  std::unordered_set<std::string> verified_;  // digests of good (user, password, hash)
  // One bcrypt at a time: failed logins can take at most one core from collection.
  std::mutex bcrypt_mutex_;
};

// "Basic dXNlcjpwdw==" -> {"user", "pw"}; false when malformed. Pure, for tests.
bool parse_basic_credentials(std::string_view header, std::string& user, std::string& password);

}  // namespace port_exporter
