// A throwaway PKI for TLS and DTLS tests, made at test time with OpenSSL (EC P-256 keys, so it
// takes milliseconds): a root CA, an intermediate CA it signs, a server certificate the
// intermediate signs, and a client certificate the root signs. Nothing is checked in, nothing
// expires between runs.
//
//   turntest::TestPki pki;                       // files live in pki.dir until it goes away
//   turn::Config c;
//   c.cert = pki.write_bundle();                 // cert + key + intermediate, one file
//   auto tls = turn::TlsContext::load(c);
//   auto client = turntest::client_context(pki);
//   auto r = turntest::memory_handshake(tls->tls(), client.get());
//   CHECK(r.ok); CHECK(r.peer_chain_length == 2);
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace turntest {

/// The server certificate's subject CN and SAN (DNS); the SAN also holds IP 127.0.0.1 and ::1.
inline constexpr const char* kServerName = "turn.example.com";
/// Subject CNs of the CA and the intermediate (so tests can match description()).
inline constexpr const char* kCaName = "turnd test root CA";
inline constexpr const char* kIntermediateName = "turnd test intermediate CA";

class TestPki {
 public:
  /// Makes the keys and certificates (valid from an hour ago for `days` days) and a fresh
  /// directory under /tmp for the files the write_* functions create.
  explicit TestPki(int days = 30);
  /// Removes dir and everything in it.
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string dir;               ///< /tmp/turnd-pki-XXXXXX
  std::string ca_pem;            ///< root CA certificate (self-signed)
  std::string intermediate_pem;  ///< intermediate CA certificate, signed by the root
  std::string server_cert_pem;   ///< CN/SAN kServerName, serverAuth, signed by the intermediate
  std::string server_key_pem;    ///< its key, unencrypted PKCS#8
  std::string client_cert_pem;   ///< CN "turnd test client", clientAuth, signed by the root
  std::string client_key_pem;    ///< its key, unencrypted PKCS#8
  std::string other_key_pem;     ///< a key that matches no certificate here

  /// Writes `text` to dir/name and returns the path.
  std::string write(const std::string& name, const std::string& text) const;
  /// The appliance layout: server certificate, unencrypted key, intermediate, in that order.
  std::string write_bundle(const std::string& name = "bundle.pem") const;
  /// Server certificate then intermediate (no key): for `cert` with a separate `pkey`.
  std::string write_chain(const std::string& name = "chain.pem") const;
  /// The server key, unencrypted.
  std::string write_key(const std::string& name = "key.pem") const;
  /// The server key as PKCS#8 encrypted with AES-256-CBC under `password`.
  std::string write_encrypted_key(const std::string& password,
                                  const std::string& name = "key-encrypted.pem") const;
  /// The root CA certificate (for CA-file, or for a client's trust store).
  std::string write_ca(const std::string& name = "ca.pem") const;
  /// RFC 7919 ffdhe2048 parameters as "DH PARAMETERS" PEM (for dh-file).
  std::string write_dh_params(const std::string& name = "dh.pem") const;
};

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct ClientOptions {
  bool verify = true;               ///< verify the server chain against the root and kServerName
  bool client_certificate = false;  ///< present the client certificate (for CA-file servers)
  int min_version = 0;              ///< e.g. TLS1_VERSION; 0: OpenSSL's default
  int max_version = 0;              ///< e.g. TLS1_1_VERSION; 0: the newest
  /// Lower the client's OpenSSL security level to 0, so a TLS 1.0/1.1 client really offers
  /// those versions and a failure is the server's refusal, not the client's.
  bool legacy = false;
  bool datagram = false;  ///< a DTLS client (DTLS_client_method) instead of TLS
};

/// A client context trusting `pki`'s root CA.
SslCtxPtr client_context(const TestPki& pki, const ClientOptions& options = {});

struct HandshakeResult {
  bool ok = false;
  int version = 0;            ///< SSL_version() of the client when ok (TLS1_2_VERSION, ...)
  int peer_chain_length = 0;  ///< certificates the client received (leaf + intermediates)
  std::string error;          ///< why it failed, from whichever side failed first
};

/// A full TLS handshake between a new SSL of `server` and one of `client`, over an in-memory
/// BIO pair (no sockets, no threads). TLS only: DTLS needs datagram BIOs.
HandshakeResult memory_handshake(SSL_CTX* server, SSL_CTX* client,
                                 const std::string& server_name = kServerName);

}  // namespace turntest
