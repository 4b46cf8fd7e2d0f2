// SPDX-License-Identifier: Apache-2.0
// TLS for the web server: an OpenSSL context built from tls_server_config (certificate, key,
// client CAs, versions), and the switch that hands every new connection the newest one, so
// a reloaded web config changes certificates and client rules without a restart.
#pragma once

#include <memory>
#include <mutex>

#include "base/result.h"
#include "config/web_config.h"

using SSL_CTX = struct ssl_ctx_st;  // NOLINT: OpenSSL's own forward name
using SSL = struct ssl_st;          // NOLINT

namespace port_exporter {

// A server context with the files of `config` loaded and checked (key matches certificate).
// Errors name the file and OpenSSL's reason. `generation` goes into the session id context:
// a session made under one web config cannot be resumed under the next (it would skip a
// client certificate that the new one requires).
class TlsContext {
 public:
  static Result<std::shared_ptr<const TlsContext>> load(const TlsServerConfig& config,
                                                        unsigned generation = 0);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Moves a connection in its handshake onto this context and its client rules.
  bool apply(SSL* ssl) const;

 private:
  TlsContext(SSL_CTX* ctx, const TlsServerConfig& config) : ctx_(ctx), config_(config) {}
  SSL_CTX* ctx_;
  TlsServerConfig config_;
};

// Installed on civetweb's (empty) server context by its init_ssl callback: each client
// hello takes the current TlsContext.
class TlsSwitch {
 public:
  void set(std::shared_ptr<const TlsContext> context);
  void install(SSL_CTX* civetweb_ctx);

 private:
  std::shared_ptr<const TlsContext> current() const;
  static int on_client_hello(SSL* ssl, int* alert, void* self);
  static int on_server_name(SSL* ssl, int* alert, void* self);

  mutable std::mutex mutex_;
  std::shared_ptr<const TlsContext> current_;
};

}  // namespace port_exporter
