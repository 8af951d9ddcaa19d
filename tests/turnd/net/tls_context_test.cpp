// TlsContext: certificate layouts, key passwords, the errors operators see, and what a client
// gets from the handshake (the full chain, the protocol floor, client-certificate checks).
#include "net/tls_context.hpp"

#include <doctest/doctest.h>

#include <string>

#include "config/config_loader.hpp"
#include "support/test_cert.hpp"

namespace {

using turn::ConfigError;
using turntest::ClientOptions;
using turntest::TestPki;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A Config whose TLS options come from "site.conf", so errors carry that origin.
turn::Config tls_config(const std::string& cert, const std::string& pkey = "") {
  turn::Config c;
  c.cert = cert;
  c.pkey = pkey;
  c.origins["cert"] = "site.conf:10";
  if (!pkey.empty())
    c.origins["pkey"] = "site.conf:11";
  return c;
}

/// The ConfigError message load() throws, or "" when it loads.
std::string load_error(const turn::Config& c) {
  try {
    turn::TlsContext::load(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

/// Checks that loading fails with a message naming origin, option and file.
void check_error(const turn::Config& c, const std::string& origin, const std::string& option,
                 const std::string& file) {
  const std::string what = load_error(c);
  CAPTURE(what);
  CHECK(contains(what, origin + ": option '" + option + "'"));
  CHECK(contains(what, file));
}

}  // namespace

TEST_CASE("tls: the bundle layout (certificate, key, intermediate in one file) loads") {
  TestPki pki;
  const auto tls = turn::TlsContext::load(tls_config(pki.write_bundle()));
  REQUIRE(tls->tls() != nullptr);
  CHECK(tls->dtls() == nullptr);  // DTLS is opt-in (coturn 4.17 `dtls`)
  CAPTURE(tls->description());
  CHECK(contains(tls->description(), std::string("certificate CN=") + turntest::kServerName));
  CHECK(contains(tls->description(), std::string("issuer CN=") + turntest::kIntermediateName));
  CHECK(contains(tls->description(), " expires 20"));
  CHECK(contains(tls->description(), "(chain of 2)"));
  CHECK_FALSE(contains(tls->description(), "EXPIRED"));

  // pkey naming the same file is the same layout.
  CHECK(load_error(tls_config(pki.write_bundle(), pki.write_bundle())).empty());
}

TEST_CASE("tls: a bundle client receives the whole chain and verifies it against the root") {
  TestPki pki;
  const auto tls = turn::TlsContext::load(tls_config(pki.write_bundle()));
  auto client = turntest::client_context(pki);
  const auto r = turntest::memory_handshake(tls->tls(), client.get());
  CAPTURE(r.error);
  REQUIRE(r.ok);
  CHECK(r.peer_chain_length == 2);
  CHECK(r.version == TLS1_3_VERSION);

  // Without the intermediate the same client cannot build a path to the root.
  turn::Config leaf_only = tls_config(pki.write("leaf.pem", pki.server_cert_pem), pki.write_key());
  const auto bare = turn::TlsContext::load(leaf_only);
  CHECK(contains(bare->description(), "(chain of 1)"));
  CHECK_FALSE(turntest::memory_handshake(bare->tls(), client.get()).ok);
}

TEST_CASE("tls: TLS 1.2 is the floor unless tlsv1/tlsv1_1; no-tlsv1_2 leaves TLS 1.3") {
  TestPki pki;
  turn::Config c = tls_config(pki.write_bundle());
  // legacy: the client really offers TLS 1.0/1.1, so a failure is the server's refusal.
  auto tls11 = turntest::client_context(pki, {.max_version = TLS1_1_VERSION, .legacy = true});
  auto tls12 = turntest::client_context(pki, {.max_version = TLS1_2_VERSION});

  const auto strict = turn::TlsContext::load(c);
  CHECK_FALSE(turntest::memory_handshake(strict->tls(), tls11.get()).ok);
  const auto r12 = turntest::memory_handshake(strict->tls(), tls12.get());
  CAPTURE(r12.error);
  CHECK(r12.ok);
  CHECK(r12.version == TLS1_2_VERSION);

  c.tlsv1_1 = true;  // works only because load() lowers the security level for it
  const auto legacy = turn::TlsContext::load(c);
  const auto r11 = turntest::memory_handshake(legacy->tls(), tls11.get());
  CAPTURE(r11.error);
  CHECK(r11.ok);
  CHECK(r11.version == TLS1_1_VERSION);

  c.tlsv1_1 = false;
  c.tlsv1 = true;
  auto tls10 = turntest::client_context(pki, {.max_version = TLS1_VERSION, .legacy = true});
  const auto r10 = turntest::memory_handshake(turn::TlsContext::load(c)->tls(), tls10.get());
  CAPTURE(r10.error);
  CHECK(r10.ok);
  CHECK(r10.version == TLS1_VERSION);

  c.tlsv1 = false;
  c.no_tlsv1_2 = true;
  const auto only13 = turn::TlsContext::load(c);
  CHECK_FALSE(turntest::memory_handshake(only13->tls(), tls12.get()).ok);
  auto modern = turntest::client_context(pki);
  CHECK(turntest::memory_handshake(only13->tls(), modern.get()).version == TLS1_3_VERSION);
}

TEST_CASE("tls: separate chain and key files load") {
  TestPki pki;
  const auto tls = turn::TlsContext::load(tls_config(pki.write_chain(), pki.write_key()));
  CHECK(contains(tls->description(), "(chain of 2)"));
  auto client = turntest::client_context(pki);
  CHECK(turntest::memory_handshake(tls->tls(), client.get()).ok);
}

TEST_CASE("tls: an encrypted key needs the right pkey-pwd") {
  TestPki pki;
  const std::string key = pki.write_encrypted_key("correct horse");
  turn::Config c = tls_config(pki.write_chain(), key);
  c.pkey_pwd = "correct horse";
  c.origins["pkey-pwd"] = "site.conf:12";
  CHECK(load_error(c).empty());

  c.pkey_pwd = "battery staple";
  check_error(c, "site.conf:12", "pkey-pwd", key);

  c.pkey_pwd.clear();
  c.origins.erase("pkey-pwd");
  check_error(c, "site.conf:11", "pkey", key);
  CHECK(contains(load_error(c), "pkey-pwd"));  // says what to set
}

TEST_CASE("tls: a key that does not match the certificate names cert and pkey") {
  TestPki pki;
  const std::string key = pki.write("other.pem", pki.other_key_pem);
  const std::string chain = pki.write_chain();
  const std::string what = load_error(tls_config(chain, key));
  CAPTURE(what);
  CHECK(contains(what, "site.conf:11: option 'pkey'"));
  CHECK(contains(what, key));
  CHECK(contains(what, chain));
  CHECK(contains(what, "does not match"));

  // The same mistake in the bundle layout.
  const std::string bundle =
      pki.write("bad-bundle.pem", pki.server_cert_pem + pki.other_key_pem + pki.intermediate_pem);
  check_error(tls_config(bundle), "site.conf:10", "cert", bundle);
}

TEST_CASE("tls: missing files and missing pieces are errors naming the option and file") {
  TestPki pki;
  const std::string missing = pki.dir + "/missing.pem";
  check_error(tls_config(missing), "site.conf:10", "cert", missing);
  CHECK(contains(load_error(tls_config(missing)), "No such file or directory"));
  check_error(tls_config(pki.write_chain(), missing), "site.conf:11", "pkey", missing);
  check_error(tls_config(pki.dir), "site.conf:10", "cert", pki.dir);  // a directory

  const std::string chain_only = pki.write_chain();
  check_error(tls_config(chain_only), "site.conf:10", "cert", chain_only);  // no key anywhere
  CHECK(contains(load_error(tls_config(chain_only)), "no private key"));

  const std::string key_only = pki.write_key();
  check_error(tls_config(key_only), "site.conf:10", "cert", key_only);
  CHECK(contains(load_error(tls_config(key_only)), "no PEM certificate"));
  // A key file without a key (e.g. the chain named twice).
  check_error(tls_config(pki.write_chain(), pki.write_chain("chain2.pem")), "site.conf:11", "pkey",
              pki.dir + "/chain2.pem");
  const std::string garbled = pki.write("garbled.pem", "-----BEGIN CERTIFICATE\nMIIB\n");
  check_error(tls_config(garbled), "site.conf:10", "cert", garbled);

  const std::string truncated =
      pki.write("truncated.pem", pki.server_cert_pem.substr(0, pki.server_cert_pem.size() / 2));
  check_error(tls_config(truncated), "site.conf:10", "cert", truncated);

  turn::Config c = tls_config(pki.write_bundle());
  c.ca_file = missing;
  c.origins["CA-file"] = "site.conf:14";
  check_error(c, "site.conf:14", "CA-file", missing);
}

TEST_CASE("tls: cipher-list and ec-curve-name are checked") {
  TestPki pki;
  turn::Config c = tls_config(pki.write_bundle());
  c.origins["cipher-list"] = "site.conf:20";
  c.origins["ec-curve-name"] = "site.conf:21";

  c.cipher_list = "NOT-A-CIPHER";
  check_error(c, "site.conf:20", "cipher-list", "NOT-A-CIPHER");
  c.cipher_list = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!DSS";
  CHECK(load_error(c).empty());

  c.ec_curve_name = "no-such-curve";
  check_error(c, "site.conf:21", "ec-curve-name", "no-such-curve");
  for (const char* name : {"prime256v1", "secp384r1", "P-256", "X25519"}) {
    CAPTURE(name);
    c.ec_curve_name = name;
    CHECK(load_error(c).empty());
  }

  // Both apply to DTLS too.
  c.dtls = true;
  c.cipher_list = "NOT-A-CIPHER";
  check_error(c, "site.conf:20", "cipher-list", "NOT-A-CIPHER");
}

TEST_CASE("tls: dh-file loads DH parameters; anything else is an error") {
  TestPki pki;
  turn::Config c = tls_config(pki.write_bundle());
  c.dh_file = pki.write_dh_params();
  c.origins["dh-file"] = "site.conf:22";
  c.dtls = true;
  const auto tls = turn::TlsContext::load(c);
  CHECK(tls->tls() != nullptr);
  CHECK(tls->dtls() != nullptr);

  c.dh_file = pki.write_ca();  // a certificate, not parameters
  check_error(c, "site.conf:22", "dh-file", c.dh_file);
  c.dh_file = pki.dir + "/nope.pem";
  check_error(c, "site.conf:22", "dh-file", c.dh_file);
}

TEST_CASE("tls: CA-file requires a client certificate signed by it") {
  TestPki pki;
  turn::Config c = tls_config(pki.write_bundle());
  c.ca_file = pki.write_ca();
  const auto tls = turn::TlsContext::load(c);

  auto anonymous = turntest::client_context(pki);
  const auto refused = turntest::memory_handshake(tls->tls(), anonymous.get());
  CHECK_FALSE(refused.ok);
  CHECK(contains(refused.error, "server"));

  auto with_cert = turntest::client_context(pki, {.client_certificate = true});
  const auto accepted = turntest::memory_handshake(tls->tls(), with_cert.get());
  CAPTURE(accepted.error);
  CHECK(accepted.ok);

  // Without CA-file nobody is asked for a certificate.
  const auto open = turn::TlsContext::load(tls_config(pki.write_bundle()));
  CHECK(turntest::memory_handshake(open->tls(), anonymous.get()).ok);
}

TEST_CASE("tls: dtls builds a DTLS 1.2 context with the same certificate and modes") {
  TestPki pki;
  turn::Config c = tls_config(pki.write_bundle());
  c.dtls = true;
  const auto tls = turn::TlsContext::load(c);
  REQUIRE(tls->dtls() != nullptr);
  CHECK(SSL_CTX_get_min_proto_version(tls->dtls()) == DTLS1_2_VERSION);
  CHECK(SSL_CTX_get_max_proto_version(tls->dtls()) == DTLS1_2_VERSION);
  CHECK(SSL_CTX_get0_certificate(tls->dtls()) != nullptr);
  for (SSL_CTX* ctx : {tls->tls(), tls->dtls()}) {
    const long mode = SSL_CTX_get_mode(ctx);
    CHECK((mode & SSL_MODE_ENABLE_PARTIAL_WRITE) != 0);
    CHECK((mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) != 0);
    CHECK((mode & SSL_MODE_RELEASE_BUFFERS) != 0);
    CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION) != 0);
    CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET) == 0);
    CHECK(SSL_CTX_get_session_cache_mode(ctx) == SSL_SESS_CACHE_OFF);
  }
  CHECK(SSL_CTX_get_min_proto_version(tls->tls()) == TLS1_2_VERSION);
}

TEST_CASE("tls: an expired certificate still loads, and the description says so") {
  TestPki pki(/*days=*/-1);  // valid from an hour ago until a day ago
  const auto tls = turn::TlsContext::load(tls_config(pki.write_bundle()));
  CHECK(contains(tls->description(), "EXPIRED"));
}

TEST_CASE("tls: load without cert is an error") {
  CHECK(contains(load_error(turn::Config{}), "option 'cert'"));
}
