#include "support/test_cert.hpp"

#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "net/openssl_ptr.hpp"

namespace turntest {
namespace {

using turn::ossl::BioPtr;
using turn::ossl::PkeyPtr;
using turn::ossl::SslPtr;
using turn::ossl::X509Ptr;

using Extensions = std::vector<std::pair<int, std::string>>;

void require(bool ok, const char* what) {
  if (!ok) {
    ERR_print_errors_fp(stderr);
    throw std::runtime_error(std::string("test PKI: ") + what);
  }
}

PkeyPtr new_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  require(key != nullptr, "EC key generation");
  return key;
}

/// The text a PEM_write_bio_* call writes.
template <typename Write>
std::string pem(Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  require(write(bio.get()) == 1, "PEM write");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string cert_pem(X509* x) {
  return pem([x](BIO* b) { return PEM_write_bio_X509(b, x); });
}

std::string key_pem(EVP_PKEY* key) {
  return pem([key](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

void add_extensions(X509* x, X509* issuer, const Extensions& extensions) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    require(ext != nullptr, "certificate extension");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

/// A certificate for `key` named CN=`cn`, signed by issuer/issuer_key (self-signed when issuer
/// is null), valid from an hour ago for `days` days.
X509Ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                  long serial, int days, const Extensions& extensions) {
  X509Ptr x(X509_new());
  require(x != nullptr, "X509_new");
  X509_set_version(x.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_time_adj_ex(X509_getm_notAfter(x.get()), days, 0, nullptr);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(x.get(), key);
  add_extensions(x.get(), issuer != nullptr ? issuer : x.get(), extensions);
  require(X509_sign(x.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return x;
}

const Extensions& ca_extensions() {
  static const Extensions e = {{NID_basic_constraints, "critical,CA:TRUE"},
                               {NID_key_usage, "critical,keyCertSign,cRLSign"}};
  return e;
}

const Extensions& intermediate_extensions() {
  static const Extensions e = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                               {NID_key_usage, "critical,keyCertSign,cRLSign"}};
  return e;
}

const Extensions& leaf_extensions(bool server) {
  static const Extensions s = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_alt_name, std::string("DNS:") + kServerName + ",IP:127.0.0.1,IP:::1"}};
  static const Extensions c = {{NID_basic_constraints, "critical,CA:FALSE"},
                               {NID_key_usage, "critical,digitalSignature"},
                               {NID_ext_key_usage, "clientAuth"}};
  return server ? s : c;
}

PkeyPtr read_key(const std::string& text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  require(key != nullptr, "read back a key");
  return key;
}

X509Ptr read_cert(const std::string& text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  require(x != nullptr, "read back a certificate");
  return x;
}

/// The reason for the latest OpenSSL error, emptying the queue.
std::string ssl_error_text() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0)
    return "no OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

/// One handshake step; false when `ssl` failed for good (not just waiting for the peer).
bool step(SSL* ssl, bool& done, const char* side, std::string& error) {
  if (done)
    return true;
  const int r = SSL_do_handshake(ssl);
  if (r == 1) {
    done = true;
    return true;
  }
  const int e = SSL_get_error(ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
    return true;
  error = std::string(side) + ": " + ssl_error_text();
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    error += std::string(" (verify: ") + X509_verify_cert_error_string(verify) + ")";
  return false;
}

}  // namespace

TestPki::TestPki(int days) {
  char name[] = "/tmp/turnd-pki-XXXXXX";
  require(::mkdtemp(name) != nullptr, "mkdtemp");
  dir = name;
  PkeyPtr ca_key = new_key(), intermediate_key = new_key(), server_key = new_key();
  PkeyPtr client_key = new_key(), other_key = new_key();
  X509Ptr ca = make_cert(kCaName, ca_key.get(), nullptr, ca_key.get(), 1, days, ca_extensions());
  X509Ptr intermediate = make_cert(kIntermediateName, intermediate_key.get(), ca.get(),
                                   ca_key.get(), 2, days, intermediate_extensions());
  X509Ptr server = make_cert(kServerName, server_key.get(), intermediate.get(),
                             intermediate_key.get(), 3, days, leaf_extensions(true));
  X509Ptr client = make_cert("turnd test client", client_key.get(), ca.get(), ca_key.get(), 4, days,
                             leaf_extensions(false));
  ca_pem = cert_pem(ca.get());
  intermediate_pem = cert_pem(intermediate.get());
  server_cert_pem = cert_pem(server.get());
  server_key_pem = key_pem(server_key.get());
  client_cert_pem = cert_pem(client.get());
  client_key_pem = key_pem(client_key.get());
  other_key_pem = key_pem(other_key.get());
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

std::string TestPki::write(const std::string& name, const std::string& text) const {
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  require(static_cast<bool>(out), "write a test file");
  return path;
}

std::string TestPki::write_bundle(const std::string& name) const {
  return write(name, server_cert_pem + server_key_pem + intermediate_pem);
}

std::string TestPki::write_chain(const std::string& name) const {
  return write(name, server_cert_pem + intermediate_pem);
}

std::string TestPki::write_key(const std::string& name) const {
  return write(name, server_key_pem);
}

std::string TestPki::write_encrypted_key(const std::string& password,
                                         const std::string& name) const {
  PkeyPtr key = read_key(server_key_pem);
  const std::string text = pem([&](BIO* b) {
    return PEM_write_bio_PKCS8PrivateKey(b, key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                         const_cast<char*>(password.c_str()));
  });
  return write(name, text);
}

std::string TestPki::write_ca(const std::string& name) const {
  return write(name, ca_pem);
}

std::string TestPki::write_dh_params(const std::string& name) const {
  // A named RFC 7919 group: generating fresh 2048-bit parameters would take seconds.
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr), EVP_PKEY_CTX_free);
  require(ctx != nullptr && EVP_PKEY_paramgen_init(ctx.get()) == 1, "DH paramgen init");
  require(EVP_PKEY_CTX_set_dh_nid(ctx.get(), NID_ffdhe2048) == 1, "DH group");
  EVP_PKEY* raw = nullptr;
  require(EVP_PKEY_paramgen(ctx.get(), &raw) == 1, "DH paramgen");
  PkeyPtr params(raw);
  return write(name, pem([&](BIO* b) { return PEM_write_bio_Parameters(b, params.get()); }));
}

SslCtxPtr client_context(const TestPki& pki, const ClientOptions& options) {
  SslCtxPtr ctx(SSL_CTX_new(options.datagram ? DTLS_client_method() : TLS_client_method()));
  require(ctx != nullptr, "SSL_CTX_new");
  if (options.legacy)
    SSL_CTX_set_security_level(ctx.get(), 0);
  if (options.min_version != 0)
    SSL_CTX_set_min_proto_version(ctx.get(), options.min_version);
  if (options.max_version != 0)
    SSL_CTX_set_max_proto_version(ctx.get(), options.max_version);
  if (options.verify) {
    X509Ptr ca = read_cert(pki.ca_pem);
    require(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca.get()) == 1, "trust CA");
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (options.client_certificate) {
    X509Ptr cert = read_cert(pki.client_cert_pem);
    PkeyPtr key = read_key(pki.client_key_pem);
    require(SSL_CTX_use_certificate(ctx.get(), cert.get()) == 1 &&
                SSL_CTX_use_PrivateKey(ctx.get(), key.get()) == 1,
            "client certificate");
  }
  return ctx;
}

HandshakeResult memory_handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx,
                                 const std::string& server_name) {
  ERR_clear_error();
  SslPtr server(SSL_new(server_ctx));
  SslPtr client(SSL_new(client_ctx));
  require(server != nullptr && client != nullptr, "SSL_new");
  BIO* server_bio = nullptr;
  BIO* client_bio = nullptr;
  require(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0) == 1, "BIO pair");
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());
  SSL_set_tlsext_host_name(client.get(), server_name.c_str());
  SSL_set1_host(client.get(), server_name.c_str());

  HandshakeResult result;
  bool server_done = false;
  bool client_done = false;
  // Each round moves at least one flight; a TLS handshake needs a handful.
  for (int round = 0; round < 50 && !(server_done && client_done); ++round) {
    if (!step(client.get(), client_done, "client", result.error) ||
        !step(server.get(), server_done, "server", result.error)) {
      ERR_clear_error();
      return result;
    }
  }
  if (!(server_done && client_done)) {
    result.error = "handshake stalled";
    return result;
  }
  result.ok = true;
  result.version = SSL_version(client.get());
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(client.get()))
    result.peer_chain_length = sk_X509_num(chain);
  return result;
}

}  // namespace turntest
