// SPDX-License-Identifier: Apache-2.0
#include "exposition/web.h"

#include <CivetServer.h>
#include <civetweb.h>
#include <netdb.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "base/log.h"
#include "exposition/basic_auth.h"
#include "exposition/gzip.h"
#include "exposition/tls_context.h"

namespace port_exporter {

namespace {

constexpr const char* kTextPlain = "text/plain; charset=utf-8";

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    default: return "Service Unavailable";
  }
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

WebServer* owner_of(const mg_context* ctx) {
  const auto* civet = static_cast<const CivetServer*>(mg_get_user_data(ctx));
  return civet == nullptr ? nullptr
                          : static_cast<WebServer*>(const_cast<void*>(civet->getUserContext()));
}

}  // namespace

// The one request handler, registered for every path and every method civetweb parses:
// authentication first (as the exporter-toolkit, it covers every endpoint), then the
// method (GET and HEAD only), then the route.
class SiteHandler {
 public:
  explicit SiteHandler(WebServer& server)
      : server_(server), landing_(landing_page(server.settings().telemetry_path)) {}

  static int handle(mg_connection* conn, void* self) {
    return static_cast<SiteHandler*>(self)->serve(conn);
  }

 private:
  int serve(mg_connection* conn) const {
    const mg_request_info* request = mg_get_request_info(conn);
    const std::string_view method =
        request->request_method != nullptr ? request->request_method : "";
    const bool head = method == "HEAD";
    const std::string uri = request->local_uri != nullptr ? request->local_uri : "";
    const WebServer::Settings& settings = server_.settings();
    const bool telemetry = uri == settings.telemetry_path;
    const int status = answer(conn, method, head, uri, telemetry);
    if (telemetry) server_.count_scrape(status);
    return status;
  }

  int answer(mg_connection* conn, std::string_view method, bool head, const std::string& uri,
             bool telemetry) const {
    const auto security = server_.security();
    if (!security->auth->allows(mg_get_header(conn, "Authorization"))) {
      return reply(conn, head, *security, 401, kTextPlain, "Unauthorized\n",
                   "WWW-Authenticate: Basic realm=\"port_exporter\", charset=\"UTF-8\"\r\n");
    }
    if (method != "GET" && !head) {
      // The body is not read: civetweb skips it when it is all buffered, else it closes.
      return reply(conn, false, *security, 405, kTextPlain, "Method Not Allowed\n",
                   "Allow: GET, HEAD\r\n");
    }
    const WebServer::Settings& settings = server_.settings();
    if (telemetry) {
      const bool gzip = accepts_gzip(mg_get_header(conn, "Accept-Encoding"));
      return reply(conn, head, *security, 200, "text/plain; version=0.0.4; charset=utf-8",
                   settings.metrics(gzip),
                   gzip ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
                        : "Vary: Accept-Encoding\r\n");
    }
    if (uri == "/") return reply(conn, head, *security, 200, "text/html; charset=utf-8", landing_);
    if (uri == "/-/healthy") return reply(conn, head, *security, 200, kTextPlain, "Healthy\n");
    if (uri == "/-/ready") {
      if (settings.ready && settings.ready()) {
        return reply(conn, head, *security, 200, kTextPlain, "Ready\n");
      }
      return reply(conn, head, *security, 503, kTextPlain,
                   "Not ready: no successful collection yet\n");
    }
    return reply(conn, head, *security, 404, kTextPlain, "Not Found\n");
  }

  // Head and body in one write: one TLS record and one segment for small answers.
  static int reply(mg_connection* conn, bool head, const WebServer::Security& security, int status,
                   const char* content_type, const std::string& body, const char* extra = "") {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
                      "\r\nContent-Type: " + content_type +
                      "\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nCache-Control: no-store\r\n" + extra + security.header_text + "\r\n";
    if (!head) out += body;
    mg_write(conn, out.data(), out.size());
    return status;
  }

  WebServer& server_;
  const std::string landing_;
};

int worker_threads(unsigned long long max_fds, unsigned long long max_threads,
                   unsigned long long max_tasks) {
  unsigned long long n = 256;
  if (max_fds != 0) n = std::min(n, max_fds / 2);
  if (max_threads != 0) n = std::min(n, max_threads / 16);
  if (max_tasks != 0) n = std::min(n, max_tasks > 32 ? max_tasks - 32 : 0);
  return static_cast<int>(std::max(n, 4ULL));
}

namespace {

// The soft limit, 0 when unlimited.
unsigned long long soft_limit(int resource) {
  rlimit limit{};
  if (getrlimit(resource, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return limit.rlim_cur;
}

}  // namespace

Result<std::string> civetweb_listening_port(const std::string& listen_address, bool tls) {
  const auto colon = listen_address.rfind(':');
  const std::string bad = "invalid --web.listen-address \"" + listen_address +
                          "\": want [HOST]:PORT, e.g. :12908, 127.0.0.1:12908 or [::1]:12908";
  if (colon == std::string::npos) return Error{bad};
  std::string host = listen_address.substr(0, colon);
  const std::string port = listen_address.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return Error{bad};
  }
  const std::string suffix = tls ? "s" : "";
  if (host.empty()) {
    // "+port" listens on IPv4 and IPv6 where civetweb was built with IPv6.
    return (have_ipv6() ? "+" : "") + port + suffix;
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
  if (!numeric)
    return Error{"invalid --web.listen-address \"" + listen_address + "\": " + numeric.error()};
  return *numeric + ":" + port + suffix;
}

WebServer::WebServer(Settings settings)
    : settings_(std::move(settings)), tls_switch_(std::make_unique<TlsSwitch>()) {}

WebServer::~WebServer() {
  server_.reset();  // joins civetweb's threads before the handler and state go
}

std::shared_ptr<const WebServer::Security> WebServer::security() const {
  std::lock_guard<std::mutex> lock(security_mutex_);
  return security_;
}

HttpCounters WebServer::counters() const {
  HttpCounters counters;
  counters.refused_fd_limit = refused_fd_limit_.load();
  counters.refused_per_client = refused_per_client_.load();
  std::lock_guard<std::mutex> lock(clients_mutex_);
  counters.scrapes_by_code = scrapes_;
  return counters;
}

void WebServer::count_scrape(int status) {
  std::lock_guard<std::mutex> lock(clients_mutex_);
  ++scrapes_[status];
}

bool WebServer::admit(const std::string& client) {
  std::lock_guard<std::mutex> lock(clients_mutex_);
  int& open = clients_[client];
  if (open >= per_client_) {
    if (open == 0) clients_.erase(client);
    ++refused_per_client_;
    return false;
  }
  ++open;
  return true;
}

void WebServer::release(const std::string& client) {
  std::lock_guard<std::mutex> lock(clients_mutex_);
  const auto found = clients_.find(client);
  if (found != clients_.end() && --found->second <= 0) clients_.erase(found);
}

Result<bool> WebServer::apply(const WebConfig& config) {
  if (config.tls) {
    auto context = TlsContext::load(*config.tls, ++tls_generation_);
    if (!context) return Error{settings_.web_config_file + ": " + context.error()};
    tls_switch_->set(std::move(context).value());
  }
  auto security = std::make_shared<Security>();
  security->auth = std::make_unique<BasicAuth>(config.basic_auth_users);
  security->headers = config.headers;
  for (const auto& [name, value] : config.headers) {
    security->header_text.append(name).append(": ").append(value).append("\r\n");
  }
  std::lock_guard<std::mutex> lock(security_mutex_);
  security_ = std::move(security);
  return true;
}

Result<bool> WebServer::reload_web_config() {
  if (settings_.web_config_file.empty()) return true;
  auto config = load_web_config(settings_.web_config_file);
  if (!config) return Error{config.error()};
  if (config->tls.has_value() != tls_) {
    return Error{settings_.web_config_file + ": turning TLS " + (tls_ ? "off" : "on") +
                 " needs a restart; keeping the running web config"};
  }
  return apply(*config);
}

std::vector<int> WebServer::ports() const { return server_->getListeningPorts(); }

Result<std::unique_ptr<WebServer>> WebServer::start(Settings settings) {
  std::unique_ptr<WebServer> server(new WebServer(std::move(settings)));
  WebConfig config;
  if (!server->settings_.web_config_file.empty()) {
    auto loaded = load_web_config(server->settings_.web_config_file);
    if (!loaded) return Error{loaded.error()};
    config = std::move(loaded).value();
  }
  server->tls_ = config.tls.has_value();
  if (auto applied = server->apply(config); !applied) return Error{applied.error()};

  std::string ports;
  for (const std::string& address : server->settings_.listen_addresses) {
    auto port = civetweb_listening_port(address, server->tls_);
    if (!port) return Error{port.error()};
    ports += (ports.empty() ? "" : ",") + *port;
  }
  CivetCallbacks callbacks;
  callbacks.init_ssl = [](void* ssl_ctx, void* user_data) -> int {
    auto* civet = static_cast<CivetServer*>(user_data);
    auto* self = static_cast<WebServer*>(const_cast<void*>(civet->getUserContext()));
    self->tls_switch_->install(static_cast<SSL_CTX*>(ssl_ctx));
    return 1;  // civetweb loads no certificate itself: the switch supplies it per connection
  };
  // civetweb reports bind errors through its log; the first one is the cause (later ones
  // say "Failed to setup server ports").
  callbacks.log_message = [](const mg_connection* conn, const char* message) -> int {
    log::debug("civetweb", {{"msg", message}});
    if (WebServer* self = owner_of(mg_get_context(conn))) {
      std::lock_guard<std::mutex> lock(self->security_mutex_);
      if (self->start_error_.empty()) self->start_error_ = message;
    }
    return 1;
  };
  // The edge (docs/security.md): one client may hold a share of the workers only;
  // connections accepted at the fd limit are closed at once and counted (our civetweb
  // patch, scripts/civetweb-edge.patch); each connection is counted out when its worker is
  // done with it (also after a failed TLS handshake).
  callbacks.accept_connection = [](const mg_context* ctx, const char* remote_addr) -> int {
    WebServer* self = owner_of(ctx);
    return self == nullptr || self->admit(remote_addr) ? 1 : 0;
  };
  callbacks.connection_released = [](const mg_context* ctx, const char* remote_addr) {
    if (WebServer* self = owner_of(ctx)) self->release(remote_addr);
  };
  callbacks.connection_refused = [](const mg_context* ctx) {
    if (WebServer* self = owner_of(ctx)) ++self->refused_fd_limit_;
  };
  const Settings& s = server->settings_;
  server->threads_ = s.threads > 0
                         ? s.threads
                         : worker_threads(soft_limit(RLIMIT_NOFILE), soft_limit(RLIMIT_NPROC));
  server->per_client_ = s.max_connections_per_client > 0 ? s.max_connections_per_client
                                                         : std::max(2, server->threads_ / 8);
  // Keep-alive needs tcp_nodelay (else ~90 req/s, see DESIGN.md).
  const std::vector<std::string> options = {
      "listening_ports", ports, "num_threads", std::to_string(server->threads_),
      "enable_keep_alive", "yes", "tcp_nodelay", "1", "request_timeout_ms",
      std::to_string(s.request_timeout_ms), "keep_alive_timeout_ms",
      std::to_string(s.keep_alive_timeout_ms),
      // A burst of connections (1,000 opened at once) overflowing the default 200 made the
      // kernel drop SYNs, a scrape's among them: its retransmission comes 1 s later.
      "listen_backlog", "1024"};
  try {
    server->handler_ = std::make_unique<SiteHandler>(*server);
    server->server_ = std::make_unique<CivetServer>(options, &callbacks, server.get());
  } catch (const std::exception& e) {
    std::string why = server->start_error_.empty() ? e.what() : server->start_error_;
    std::string addresses;
    for (const auto& a : server->settings_.listen_addresses) {
      addresses += (addresses.empty() ? "" : ", ") + a;
    }
    return Error{"cannot listen on " + addresses + ": " + why};
  }
  // Every method reaches SiteHandler (CivetHandler's per-method hooks let civetweb answer
  // the others itself). CivetServer hands out its context as const only.
  mg_set_request_handler(const_cast<mg_context*>(server->server_->getContext()), "/",
                         &SiteHandler::handle, server->handler_.get());
  return server;
}

Result<bool> check_web_config(const std::string& path) {
  auto config = load_web_config(path);
  if (!config) return Error{config.error()};
  if (config->tls) {
    auto context = TlsContext::load(*config->tls);
    if (!context) return Error{path + ": " + context.error()};
  }
  return true;
}

}  // namespace port_exporter
