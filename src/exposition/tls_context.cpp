// SPDX-License-Identifier: Apache-2.0
#include "exposition/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <cstring>
#include <string>

namespace port_exporter {
namespace {

std::string openssl_error() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    text += (text.empty() ? "" : "; ") + std::string(buffer.data());
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

int protocol(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10: return TLS1_VERSION;
    case TlsVersion::kTls11: return TLS1_1_VERSION;
    case TlsVersion::kTls12: return TLS1_2_VERSION;
    case TlsVersion::kTls13: return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

// RequestClientCert and RequireAnyClientCert take any certificate, like Go's.
int accept_any(int /*preverify*/, X509_STORE_CTX* /*ctx*/) { return 1; }

constexpr unsigned char kSessionContext[] = "port_exporter";

void set_session_context(SSL_CTX* ctx, unsigned generation) {
  const std::string id = "port_exporter/" + std::to_string(generation);
  SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(id.data()),
                                 static_cast<unsigned>(id.size()));
}

Result<SSL_CTX*> build(const TlsServerConfig& c, unsigned generation) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Error{"cannot create a TLS context: " + openssl_error()};
  const auto fail = [ctx](const std::string& what) -> Result<SSL_CTX*> {
    SSL_CTX_free(ctx);
    return Error{what + ": " + openssl_error()};
  };
  if (SSL_CTX_use_certificate_chain_file(ctx, c.cert_file.c_str()) != 1) {
    return fail("cert_file " + c.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("key_file " + c.key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail("key_file " + c.key_file + " does not match cert_file " + c.cert_file);
  }
  if (!c.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, c.client_ca_file.c_str(), nullptr) != 1) {
      return fail("client_ca_file " + c.client_ca_file);
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str());
    if (names == nullptr) return fail("client_ca_file " + c.client_ca_file);
    SSL_CTX_set_client_CA_list(ctx, names);
  }
  set_session_context(ctx, generation);
  return ctx;
}

}  // namespace

Result<std::shared_ptr<const TlsContext>> TlsContext::load(const TlsServerConfig& config,
                                                           unsigned generation) {
  ERR_clear_error();
  auto ctx = build(config, generation);
  if (!ctx) return Error{ctx.error()};
  return std::shared_ptr<const TlsContext>(new TlsContext(*ctx, config));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }  // connections hold their own reference

bool TlsContext::apply(SSL* ssl) const {
  if (SSL_set_SSL_CTX(ssl, ctx_) != ctx_) return false;
  SSL_set_min_proto_version(ssl, protocol(config_.min_version));
  SSL_set_max_proto_version(ssl, protocol(config_.max_version));
  switch (config_.client_auth) {
    case ClientAuth::kNoClientCert: SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr); break;
    case ClientAuth::kRequestClientCert: SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any); break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
      break;
    case ClientAuth::kVerifyClientCertIfGiven: SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr); break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  return true;
}

void TlsSwitch::set(std::shared_ptr<const TlsContext> context) {
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(context);
}

std::shared_ptr<const TlsContext> TlsSwitch::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void TlsSwitch::install(SSL_CTX* civetweb_ctx) {
  // The client hello callback runs before the version is chosen: versions, certificate
  // and verification are all set there. civetweb's own SNI callback would move the
  // connection back to its empty context, so ours replaces it and leaves it alone.
  SSL_CTX_set_client_hello_cb(civetweb_ctx, on_client_hello, this);
  SSL_CTX_set_tlsext_servername_callback(civetweb_ctx, on_server_name);
  SSL_CTX_set_session_id_context(civetweb_ctx, kSessionContext, sizeof kSessionContext - 1);
}

int TlsSwitch::on_client_hello(SSL* ssl, int* alert, void* self) {
  const auto context = static_cast<TlsSwitch*>(self)->current();
  if (context && context->apply(ssl)) return SSL_CLIENT_HELLO_SUCCESS;
  *alert = SSL_AD_INTERNAL_ERROR;
  return SSL_CLIENT_HELLO_ERROR;
}

int TlsSwitch::on_server_name(SSL* /*ssl*/, int* /*alert*/, void* /*self*/) {
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace port_exporter
