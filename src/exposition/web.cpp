// SPDX-License-Identifier: Apache-2.0
#include "exposition/web.h"

#include <CivetServer.h>
#include <civetweb.h>
#include <netdb.h>

#include <atomic>
#include <cstring>

#include "base/log.h"

namespace port_exporter {

namespace {

// The live server, for the request hook. Set after the server is built, cleared before it
// is destroyed; the hook only reads it.
std::atomic<const WebServer*> g_server{nullptr};

int reply(mg_connection* conn, int status, const char* content_type, const std::string& body) {
  const char* reason = status == 200   ? "OK"
                       : status == 405 ? "Method Not Allowed"
                                       : "Service Unavailable";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\n\r\n",
            status, reason, content_type, body.size());
  const mg_request_info* request = mg_get_request_info(conn);
  if (std::strcmp(request->request_method, "HEAD") != 0) mg_write(conn, body.data(), body.size());
  return status;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string landing_page(const std::string& telemetry_path) {
  return "<!DOCTYPE html>\n<html><head><title>port_exporter</title></head><body>\n"
         "<h1>port_exporter</h1>\n"
         "<p>Counts listeners and connections on watched ports.</p>\n"
         "<ul><li><a href=\"" +
         html_escape(telemetry_path) +
         "\">Metrics</a></li>\n"
         "<li><a href=\"/-/healthy\">Health</a></li>\n"
         "<li><a href=\"/-/ready\">Readiness</a></li></ul>\n</body></html>\n";
}

// Returns non-zero when it answered the request itself.
int handle_request(mg_connection* conn) {
  const WebServer* server = g_server.load();
  if (server == nullptr) return 0;
  const mg_request_info* request = mg_get_request_info(conn);
  const std::string uri = request->local_uri ? request->local_uri : "";
  if (uri == "/") {
    return reply(conn, 200, "text/html; charset=utf-8",
                 landing_page(server->settings().telemetry_path));
  }
  if (uri == "/-/healthy") return reply(conn, 200, "text/plain; charset=utf-8", "Healthy\n");
  if (uri == server->settings().telemetry_path) {
    const bool get = std::strcmp(request->request_method, "GET") == 0;
    if (!get && std::strcmp(request->request_method, "HEAD") != 0) {
      return reply(conn, 405, "text/plain; charset=utf-8", "Method Not Allowed\n");
    }
    return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
                 server->settings().metrics());
  }
  if (uri == "/-/ready") {
    const bool ready = server->settings().ready && server->settings().ready();
    return ready ? reply(conn, 200, "text/plain; charset=utf-8", "Ready\n")
                 : reply(conn, 503, "text/plain; charset=utf-8",
                         "Not ready: no successful collection yet\n");
  }
  return 0;
}

bool have_ipv6() { return mg_check_feature(MG_FEATURES_IPV6) != 0; }

Result<std::string> resolve_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = have_ipv6() ? AF_UNSPEC : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return Error{"cannot resolve \"" + host + "\": " + gai_strerror(rc)};
  }
  char text[NI_MAXHOST] = {};
  const int rc =
      getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST);
  const bool v6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);
  if (rc != 0) return Error{"cannot resolve \"" + host + "\": " + gai_strerror(rc)};
  return v6 ? "[" + std::string(text) + "]" : std::string(text);
}

}  // namespace

Result<std::string> civetweb_listening_port(const std::string& listen_address) {
  const auto colon = listen_address.rfind(':');
  const std::string bad = "invalid --web.listen-address \"" + listen_address +
                          "\": want [HOST]:PORT, e.g. :12908 or 127.0.0.1:12908";
  if (colon == std::string::npos) return Error{bad};
  std::string host = listen_address.substr(0, colon);
  const std::string port = listen_address.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return Error{bad};
  }
  if (host.empty()) {
    // "+port" listens on IPv4 and IPv6 where civetweb was built with IPv6.
    return (have_ipv6() ? "+" : "") + port;
  }
  if (host.front() == '[') {
    if (host.back() != ']') return Error{bad};
    host = host.substr(1, host.size() - 2);
    if (!have_ipv6()) {
      return Error{"invalid --web.listen-address \"" + listen_address +
                   "\": this build's civetweb has no IPv6 support; listen on an IPv4 "
                   "address"};
    }
  } else if (host.find(':') != std::string::npos) {
    return Error{"invalid --web.listen-address \"" + listen_address +
                 "\": write an IPv6 address in brackets, e.g. [::1]:12908"};
  }
  auto numeric = resolve_host(host);
  if (!numeric) return Error{"invalid --web.listen-address: " + numeric.error()};
  return *numeric + ":" + port;
}

Result<std::unique_ptr<WebServer>> WebServer::start(Settings settings) {
  auto ports = civetweb_listening_port(settings.listen_address);
  if (!ports) return Error{ports.error()};
  std::unique_ptr<WebServer> server(new WebServer(std::move(settings)));
  static CivetCallbacks callbacks;
  callbacks.begin_request = handle_request;
  // Keep-alive needs tcp_nodelay (else ~90 req/s, see DESIGN.md). Each open connection
  // holds a worker thread: 16 of them, and a 3 s request timeout, keep a few slow or idle
  // clients from starving the health probes.
  std::vector<std::string> options = {"listening_ports",    *ports, "num_threads", "16",
                                      "enable_keep_alive",  "yes",  "tcp_nodelay", "1",
                                      "request_timeout_ms", "3000"};
  g_server = server.get();  // before the first request can arrive
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(options, &callbacks);
  } catch (const std::exception& e) {
    g_server = nullptr;
    return Error{"cannot listen on " + server->settings_.listen_address + ": " + e.what()};
  }
  return server;
}

WebServer::~WebServer() {
  g_server = nullptr;
  exposer_.reset();
}

}  // namespace port_exporter
