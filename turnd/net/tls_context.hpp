// The server's TLS and DTLS contexts (RFC 8656 §3.1: TURN over TLS and DTLS), built from the
// TLS options (cert, pkey, pkey-pwd, cipher-list, ec-curve-name, dh-file, CA-file, tlsv1,
// tlsv1_1). Immutable once built: SIGUSR2 and SIGHUP build a new one and hand it to the workers;
// connections already open keep the context they started with (each SSL holds a reference).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "config/config.hpp"

namespace turn {

class TlsContext {
 public:
  /// Loads the certificate chain and key. Throws ConfigError naming the option, where it was set
  /// (config.origin_of) and the file when anything is missing, unreadable or inconsistent
  /// (the key does not match the certificate, a bad cipher list or curve name, ...).
  /// Requires !config.cert.empty().
  static std::shared_ptr<const TlsContext> load(const Config& config);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// The TLS server context for TCP connections (TLS 1.2+ unless tlsv1/tlsv1_1).
  SSL_CTX* tls() const { return tls_; }
  /// The DTLS server context (DTLS 1.2 only), or nullptr unless config.dtls.
  SSL_CTX* dtls() const { return dtls_; }
  /// One line for the log: the certificate's subject, issuer and expiry.
  const std::string& description() const { return description_; }

 private:
  TlsContext() = default;
  SSL_CTX* tls_ = nullptr;
  SSL_CTX* dtls_ = nullptr;
  std::string description_;
};

using TlsContextPtr = std::shared_ptr<const TlsContext>;

}  // namespace turn
