// SPDX-License-Identifier: Apache-2.0
// Web: the HTTP side. prometheus-cpp's civetweb Exposer is the server; its begin_request
// hook answers the telemetry path with the exposition text serialized at the last
// collection (a scrape serializes nothing: see docs/benchmarks.md), and /, /-/healthy and
// /-/ready.
#pragma once

#include <prometheus/exposer.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace port_exporter {

// "[HOST]:PORT" (":12908", "127.0.0.1:0", "[::1]:9000", "localhost:12908") -> civetweb's
// listening_ports syntax. An empty host listens on every IPv4 and IPv6 address.
Result<std::string> civetweb_listening_port(const std::string& listen_address);

class WebServer {
 public:
  struct Settings {
    std::string listen_address = ":12908";
    std::string telemetry_path = "/metrics";
    std::function<bool()> ready;           // /-/ready answers 200 once this is true
    std::function<std::string()> metrics;  // the body of the telemetry path
  };

  // At most one WebServer per process: civetweb's request hook has no user pointer.
  static Result<std::unique_ptr<WebServer>> start(Settings settings);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  std::vector<int> ports() const { return exposer_->GetListeningPorts(); }
  const Settings& settings() const { return settings_; }

 private:
  explicit WebServer(Settings settings) : settings_(std::move(settings)) {}
  Settings settings_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace port_exporter
