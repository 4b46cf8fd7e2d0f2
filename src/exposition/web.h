// SPDX-License-Identifier: Apache-2.0
// Web: the HTTP side. One WebServer owns a civetweb CivetServer (built from Debian's source
// with IPv6 and OpenSSL 3, scripts/build-civetweb.sh) and its request handler; it answers
// the telemetry path with the exposition serialized at the last collection (text or gzip:
// a scrape serializes nothing, see docs/benchmarks.md), and /, /-/healthy and /-/ready.
// TLS, client certificates, basic auth and extra headers come from --web.config.file and
// are swapped on reload_web_config() without dropping the listeners.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/web_config.h"

class CivetServer;

namespace port_exporter {

class BasicAuth;
class SiteHandler;
class TlsSwitch;

// "[HOST]:PORT" (":12908", "127.0.0.1:0", "[::1]:9000", "localhost:12908") -> civetweb's
// listening_ports syntax ("+12908" is IPv4 and IPv6). `tls` appends civetweb's 's'.
Result<std::string> civetweb_listening_port(const std::string& listen_address, bool tls = false);

class WebServer {
 public:
  struct Settings {
    std::vector<std::string> listen_addresses = {":12908"};
    std::string telemetry_path = "/metrics";
    std::string web_config_file;  // empty: plain HTTP, no authentication
    // Each open connection holds a worker thread; the request timeout bounds how long an
    // idle or slow client keeps one.
    int threads = 16;
    int request_timeout_ms = 3000;
    std::function<bool()> ready;  // /-/ready answers 200 once this is true
    // The body of the telemetry path, gzip-encoded when the argument is true.
    std::function<std::string(bool gzip)> metrics;
  };

  // Loads the web config, then listens on every address. Errors name the address or the
  // file (e.g. "cannot listen on 127.0.0.1:12908: address in use").
  static Result<std::unique_ptr<WebServer>> start(Settings settings);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Re-reads --web.config.file; on any error the running one stays and the error returns.
  // Turning TLS on or off needs a restart (the listeners' type is fixed).
  Result<bool> reload_web_config();

  std::vector<int> ports() const;
  bool tls() const { return tls_; }
  const Settings& settings() const { return settings_; }

  // What a request sees: replaced whole on reload.
  struct Security {
    std::unique_ptr<BasicAuth> auth;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string header_text;  // the headers as "Name: value\r\n" lines
  };
  std::shared_ptr<const Security> security() const;

 private:
  explicit WebServer(Settings settings);
  Result<bool> apply(const WebConfig& config);

  Settings settings_;
  bool tls_ = false;
  unsigned tls_generation_ = 0;  // one per loaded web config: see TlsContext::load
  std::unique_ptr<TlsSwitch> tls_switch_;
  mutable std::mutex security_mutex_;
  std::shared_ptr<const Security> security_;
  std::string start_error_;  // civetweb's last log line while starting (guarded as above)
  std::unique_ptr<SiteHandler> handler_;
  std::unique_ptr<CivetServer> server_;  // last: stopped before what its threads use
};

// Checks a web config file as the server would load it (files, certificates, keys).
Result<bool> check_web_config(const std::string& path);

}  // namespace port_exporter
