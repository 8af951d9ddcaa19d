// Builds the TLS and DTLS server contexts from the TLS options (RFC 8656 §3.1: TURN over TLS on
// TCP, DTLS 1.2 on UDP). Every failure is a ConfigError naming the option, where it was set and
// the file, so startup and `turnd --check-config` report a bad certificate the same way.
#include "net/tls_context.hpp"

#include "net/dtls_session.hpp"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "config/config_loader.hpp"
#include "net/openssl_ptr.hpp"

namespace turn {
namespace {

using ossl::BioPtr;
using ossl::CtxPtr;
using ossl::PkeyPtr;
using ossl::X509Ptr;

/// The server certificate, the intermediates sent after it, and its private key.
struct Credentials {
  X509Ptr leaf;
  std::vector<X509Ptr> intermediates;
  PkeyPtr key;
};

struct PemBlock {
  std::string label;  ///< "CERTIFICATE", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", ...
  std::string text;   ///< the block, BEGIN and END lines included
};

[[noreturn]] void fail(const Config& c, const std::string& option, const std::string& why) {
  throw ConfigError(c.origin_of(option) + ": option '" + option + "': " + why);
}

/// OpenSSL's reason for the latest error ("bad decrypt", ...); empties the error queue so the
/// next connection's SSL_get_error does not see it.
std::string ssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0)
    return "no details from OpenSSL";
  if (const char* reason = ERR_reason_error_string(code))
    return reason;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

/// The whole file; a ConfigError with errno's text when it cannot be read.
std::string read_file(const Config& c, const std::string& option, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    fail(c, option, "cannot read " + path + ": " + std::strerror(errno));
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    text.append(buf, n);
  const int error = std::ferror(f) ? errno : 0;  // e.g. EISDIR for a directory
  std::fclose(f);
  if (error != 0)
    fail(c, option, "cannot read " + path + ": " + std::strerror(error));
  return text;
}

/// Every PEM block in file order. Blocks are split by text, so a certificate after a key (the
/// bundle layout) is still found: SSL_CTX_use_certificate_chain_file stops at the first block
/// that is not a certificate.
std::vector<PemBlock> pem_blocks(const Config& c, const std::string& option,
                                 const std::string& path, const std::string& file) {
  static const std::string kBegin = "-----BEGIN ";
  std::vector<PemBlock> blocks;
  for (std::size_t pos = file.find(kBegin); pos != std::string::npos;
       pos = file.find(kBegin, pos)) {
    const std::size_t label_start = pos + kBegin.size();
    const std::size_t label_end = file.find("-----", label_start);
    const std::size_t line_end = file.find('\n', label_start);
    if (label_end == std::string::npos || label_end > line_end)
      fail(c, option, "malformed PEM header in " + path);
    const std::string label = file.substr(label_start, label_end - label_start);
    const std::string end_line = "-----END " + label + "-----";
    const std::size_t end = file.find(end_line, label_end);
    if (end == std::string::npos)
      fail(c, option, "truncated PEM block '" + label + "' in " + path);
    blocks.push_back({label, file.substr(pos, end + end_line.size() - pos)});
    pos = end + end_line.size();
  }
  return blocks;
}

bool is_certificate(const PemBlock& b) {
  return b.label == "CERTIFICATE" || b.label == "X509 CERTIFICATE";
}

/// "PRIVATE KEY", "ENCRYPTED PRIVATE KEY" (PKCS#8) or "RSA/EC/DSA PRIVATE KEY" (traditional).
bool is_private_key(const PemBlock& b) {
  static const std::string kSuffix = "PRIVATE KEY";
  return b.label.size() >= kSuffix.size() &&
         b.label.compare(b.label.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

bool is_encrypted(const PemBlock& b) {
  return b.label == "ENCRYPTED PRIVATE KEY" ||
         b.text.find("Proc-Type: 4,ENCRYPTED") != std::string::npos;
}

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

/// Hands pkey-pwd to OpenSSL. Always installed: without a callback OpenSSL would prompt on the
/// terminal for an encrypted key.
int password_callback(char* buf, int size, int /*rwflag*/, void* userdata) {
  const auto& password = *static_cast<const std::string*>(userdata);
  if (password.empty() || static_cast<int>(password.size()) > size)
    return -1;
  std::memcpy(buf, password.data(), password.size());
  return static_cast<int>(password.size());
}

X509Ptr decode_certificate(const Config& c, const std::string& path, const PemBlock& b) {
  X509Ptr x(PEM_read_bio_X509(memory_bio(b.text).get(), nullptr, nullptr, nullptr));
  if (!x)
    fail(c, "cert", "bad certificate in " + path + ": " + ssl_reason());
  return x;
}

/// `option` is where the key came from: "cert" (bundle layout) or "pkey".
PkeyPtr decode_key(const Config& c, const std::string& option, const std::string& path,
                   const PemBlock& b) {
  if (is_encrypted(b) && c.pkey_pwd.empty())
    fail(c, option, "the private key in " + path + " is encrypted: set pkey-pwd");
  std::string password = c.pkey_pwd;
  PkeyPtr key(
      PEM_read_bio_PrivateKey(memory_bio(b.text).get(), nullptr, password_callback, &password));
  if (key)
    return key;
  if (is_encrypted(b)) {
    fail(c, "pkey-pwd",
         "cannot decrypt the private key in " + path + ": " + ssl_reason() + " (wrong password?)");
  }
  fail(c, option, "bad private key in " + path + ": " + ssl_reason());
}

/// The key file named by pkey: its first private key block.
PkeyPtr read_key_file(const Config& c) {
  for (const auto& b : pem_blocks(c, "pkey", c.pkey, read_file(c, "pkey", c.pkey))) {
    if (is_private_key(b))
      return decode_key(c, "pkey", c.pkey, b);
  }
  fail(c, "pkey", "no PEM private key in " + c.pkey);
}

/// cert: the server certificate first, then intermediates; the key may sit among them (the
/// bundle layout, pkey empty or the same file) or come from pkey.
Credentials read_credentials(const Config& c) {
  const bool key_in_cert = c.pkey.empty() || c.pkey == c.cert;
  Credentials creds;
  for (const auto& b : pem_blocks(c, "cert", c.cert, read_file(c, "cert", c.cert))) {
    if (is_certificate(b)) {
      X509Ptr x = decode_certificate(c, c.cert, b);
      if (!creds.leaf) {
        creds.leaf = std::move(x);
      } else {
        creds.intermediates.push_back(std::move(x));
      }
    } else if (is_private_key(b) && key_in_cert && !creds.key) {
      creds.key = decode_key(c, "cert", c.cert, b);
    }
  }
  if (!creds.leaf)
    fail(c, "cert", "no PEM certificate in " + c.cert);
  if (!key_in_cert) {
    creds.key = read_key_file(c);
  } else if (!creds.key) {
    fail(c, "cert",
         "no private key in " + c.cert + " (put it after the certificate, or name it with pkey)");
  }
  if (X509_check_private_key(creds.leaf.get(), creds.key.get()) != 1) {
    ERR_clear_error();
    const std::string key_file = key_in_cert ? c.cert : c.pkey;
    fail(c, key_in_cert ? "cert" : "pkey",
         "the private key in " + key_file + " does not match the certificate in " + c.cert +
             " (option 'cert', " + c.origin_of("cert") + ")");
  }
  return creds;
}

PkeyPtr read_dh_params(const Config& c) {
  const std::string text = read_file(c, "dh-file", c.dh_file);
  PkeyPtr params(PEM_read_bio_Parameters(memory_bio(text).get(), nullptr));
  if (!params)
    fail(c, "dh-file", "no DH parameters in " + c.dh_file + ": " + ssl_reason());
  if (!EVP_PKEY_is_a(params.get(), "DH") && !EVP_PKEY_is_a(params.get(), "DHX"))
    fail(c, "dh-file", "the parameters in " + c.dh_file + " are not DH parameters");
  return params;
}

void use_credentials(SSL_CTX* ctx, const Config& c, const Credentials& creds) {
  if (SSL_CTX_use_certificate(ctx, creds.leaf.get()) != 1)
    fail(c, "cert", "cannot use the certificate in " + c.cert + ": " + ssl_reason());
  // The intermediates go out with the certificate, so clients that only trust the root verify.
  for (const auto& x : creds.intermediates) {
    if (SSL_CTX_add1_chain_cert(ctx, x.get()) != 1)
      fail(c, "cert", "cannot add an intermediate from " + c.cert + ": " + ssl_reason());
  }
  const std::string key_option = c.pkey.empty() || c.pkey == c.cert ? "cert" : "pkey";
  if (SSL_CTX_use_PrivateKey(ctx, creds.key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
    fail(c, key_option, "the private key does not fit the certificate: " + ssl_reason());
}

/// Lowest TLS version: 1.2 unless tlsv1/tlsv1_1 ask for older (coturn 4.7+ opt-ins);
/// no-tlsv1_2 (coturn 4.6) leaves TLS 1.3 alone and wins over both.
int tls_min_version(const Config& c) {
  if (c.no_tlsv1_2)
    return TLS1_3_VERSION;
  if (c.tlsv1)
    return TLS1_VERSION;
  if (c.tlsv1_1)
    return TLS1_1_VERSION;
  return TLS1_2_VERSION;
}

void set_versions(SSL_CTX* ctx, const Config& c, bool datagram) {
  if (datagram) {
    // DTLS 1.0 (RFC 4347) is TLS 1.1-era; turnd offers DTLS 1.2 (RFC 6347) only.
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    return;
  }
  const int min = tls_min_version(c);
  SSL_CTX_set_min_proto_version(ctx, min);
  if (min < TLS1_2_VERSION) {
    // OpenSSL 3 refuses TLS 1.0/1.1 at security level 1 and above (their handshake signatures
    // use SHA-1/MD5; Debian builds with level 2), so without this tlsv1/tlsv1_1 would be
    // accepted and silently do nothing. Level 0 also allows short keys: the price of TLS 1.0.
    // A cipher-list with @SECLEVEL=n, applied after this, still has the last word.
    SSL_CTX_set_security_level(ctx, 0);
  }
}

void set_ciphers_and_groups(SSL_CTX* ctx, const Config& c, EVP_PKEY* dh) {
  // cipher-list only governs TLS 1.2 and below; TLS 1.3 suites keep OpenSSL's defaults.
  if (!c.cipher_list.empty() && SSL_CTX_set_cipher_list(ctx, c.cipher_list.c_str()) != 1)
    fail(c, "cipher-list", "no usable cipher in '" + c.cipher_list + "': " + ssl_reason());
  // coturn passes ec-curve-name to OBJ_sn2nid ("prime256v1"); OpenSSL's group list takes
  // those names and the TLS ones ("P-256", "X25519").
  if (!c.ec_curve_name.empty() && SSL_CTX_set1_groups_list(ctx, c.ec_curve_name.c_str()) != 1)
    fail(c, "ec-curve-name", "unknown group '" + c.ec_curve_name + "': " + ssl_reason());
  if (dh == nullptr) {
    SSL_CTX_set_dh_auto(ctx, 1);  // built-in parameters sized to the certificate key
    return;
  }
  EVP_PKEY_up_ref(dh);  // set0 takes a reference, and both contexts share the parameters
  if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
    EVP_PKEY_free(dh);
    fail(c, "dh-file", "cannot use the DH parameters in " + c.dh_file + ": " + ssl_reason());
  }
}

/// CA-file: clients must present a certificate that chains to it (coturn's client check).
void require_client_certificates(SSL_CTX* ctx, const Config& c) {
  read_file(c, "CA-file", c.ca_file);  // a missing file's errno beats OpenSSL's "system lib"
  if (SSL_CTX_load_verify_locations(ctx, c.ca_file.c_str(), nullptr) != 1)
    fail(c, "CA-file", "cannot load certificates from " + c.ca_file + ": " + ssl_reason());
  // The CA names go in CertificateRequest so a client with several certificates picks right.
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.ca_file.c_str()))
    SSL_CTX_set_client_CA_list(ctx, names);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
}

void set_modes_and_options(SSL_CTX* ctx) {
  // The connection code writes from buffers that move between retries, and takes partial writes.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Client renegotiation is a CPU DoS lever and TURN has no use for it.
  // A client that closes without close_notify (browsers often do) is an ordinary close, not a
  // TLS failure: OpenSSL 3 reports it as an error unless told otherwise.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  // No server-side session cache (no per-session state to grow); stateless tickets still resume.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Resuming with CA-file's client verification needs a session id context, else OpenSSL fails
  // the resumed handshake ("session id context uninitialized").
  static const unsigned char kSessionContext[] = "turnd";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
}

CtxPtr build_context(const Config& c, const Credentials& creds, EVP_PKEY* dh, bool datagram) {
  CtxPtr ctx(SSL_CTX_new(datagram ? DTLS_server_method() : TLS_server_method()));
  if (!ctx)
    fail(c, "cert", "cannot create a TLS context: " + ssl_reason());
  set_modes_and_options(ctx.get());
  set_versions(ctx.get(), c, datagram);
  set_ciphers_and_groups(ctx.get(), c, dh);
  use_credentials(ctx.get(), c, creds);
  if (!c.ca_file.empty())
    require_client_certificates(ctx.get(), c);
  return ctx;
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1)
    return "?";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string describe(const Credentials& creds) {
  X509* leaf = creds.leaf.get();
  const ASN1_TIME* not_after = X509_get0_notAfter(leaf);
  std::string text = "certificate " + name_text(X509_get_subject_name(leaf)) + " issuer " +
                     name_text(X509_get_issuer_name(leaf)) + " expires " + time_text(not_after) +
                     " (chain of " + std::to_string(1 + creds.intermediates.size()) + ")";
  if (X509_cmp_current_time(not_after) < 0)
    text += " EXPIRED";
  return text;
}

}  // namespace

std::shared_ptr<const TlsContext> TlsContext::load(const Config& config) {
  if (config.cert.empty())
    fail(config, "cert", "not set (TLS needs a certificate)");
  ERR_clear_error();
  const Credentials creds = read_credentials(config);
  const PkeyPtr dh = config.dh_file.empty() ? nullptr : read_dh_params(config);
  std::shared_ptr<TlsContext> context(new TlsContext());
  context->tls_ = build_context(config, creds, dh.get(), /*datagram=*/false).release();
  if (config.dtls) {
    context->dtls_ = build_context(config, creds, dh.get(), /*datagram=*/true).release();
    // RFC 6347 §4.2.1: no DTLS state before a cookie round trip (CVE-2026-73214).
    enable_dtls_cookies(context->dtls_);
  }
  context->description_ = describe(creds);
  return context;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(tls_);
  SSL_CTX_free(dtls_);
}

}  // namespace turn
