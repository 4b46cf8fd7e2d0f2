// SPDX-License-Identifier: Apache-2.0
// Web: the HTTP side. One WebServer owns a civetweb CivetServer (built from Debian's source
// with IPv6 and OpenSSL 3, scripts/build-civetweb.sh) and its request handler; it answers
// the telemetry path with the exposition serialized at the last collection (text or gzip:
// a scrape serializes nothing, see docs/benchmarks.md), and /, /-/healthy and /-/ready.
// TLS, client certificates, basic auth and extra headers come from --web.config.file and
// are swapped on reload_web_config() without dropping the listeners. Every endpoint answers
// GET and HEAD only. The edge against idle and slow clients (docs/security.md): workers
// sized from the process limits, a per-client share of them, civetweb's header timeout.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "config/web_config.h"
#include "exposition/http_metrics.h"

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
    // Each open connection holds a worker thread until it closes; 0 sizes the pool from
    // RLIMIT_NOFILE and RLIMIT_NPROC (worker_threads(); the caller knows the cgroup). The request
    // timeout bounds how long a request's header may take from the connection's start (idle and
    // slowloris clients), the keep-alive timeout how long a connection may wait for its next
    // request.
    int threads = 0;
    int request_timeout_ms = 3000;
    int keep_alive_timeout_ms = 500;
    // Connections one client address may hold at once; more are closed as soon as accepted.
    // 0: an eighth of the workers (at least 2), so one client never takes them all.
    int max_connections_per_client = 0;
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
  int threads() const { return threads_; }
  int max_connections_per_client() const { return per_client_; }
  HttpCounters counters() const;
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
  friend class SiteHandler;
  void count_scrape(int status);
  bool admit(const std::string& client);  // the per-client limit, on civetweb's accept thread
  void release(const std::string& client);

  Settings settings_;
  bool tls_ = false;
  unsigned tls_generation_ = 0;  // one per loaded web config: see TlsContext::load
  std::unique_ptr<TlsSwitch> tls_switch_;
  mutable std::mutex security_mutex_;
  std::shared_ptr<const Security> security_;
  std::string start_error_;  // civetweb's last log line while starting (guarded as above)
  int threads_ = 0;
  int per_client_ = 0;
  mutable std::mutex clients_mutex_;
  std::unordered_map<std::string, int> clients_;  // open connections by peer address
  std::map<int, std::uint64_t> scrapes_;          // guarded as clients_
  std::atomic<std::uint64_t> refused_fd_limit_{0};
  std::atomic<std::uint64_t> refused_per_client_{0};
  std::unique_ptr<SiteHandler> handler_;
  std::unique_ptr<CivetServer> server_;  // last: stopped before what its threads use
};

// Workers for a process with these limits (0: unlimited): 256, or fewer where half the
// descriptors, a sixteenth of the threads the uid may run, or the cgroup's task limit less
// 32 (the collector's threads and the server's own) is less; at least 4.
int worker_threads(unsigned long long max_fds, unsigned long long max_threads,
                   unsigned long long max_tasks = 0);

// Checks a web config file as the server would load it (files, certificates, keys).
Result<bool> check_web_config(const std::string& path);

}  // namespace port_exporter
