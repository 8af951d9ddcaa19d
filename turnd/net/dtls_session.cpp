#include "net/dtls_session.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace turn {

namespace {

// Wire constants (RFC 6347 §4.1, §4.2.2, §4.3.2; RFC 5246 §6.2.1, §7.4).
constexpr std::uint8_t kContentHandshake = 22;
constexpr std::uint8_t kDtlsMajor = 0xfe;  // DTLS versions are 0xfeff (1.0) and 0xfefd (1.2)
constexpr std::uint8_t kDtls10Minor = 0xff;
constexpr std::uint8_t kClientHello = 1;
constexpr std::uint8_t kHelloVerifyRequest = 3;
constexpr std::size_t kRecordHeader = 13;     // type, version, epoch, sequence_number, length
constexpr std::size_t kHandshakeHeader = 12;  // msg_type, length, message_seq, fragment off/len
constexpr std::size_t kRandomSize = 32;
constexpr std::size_t kKeySize = 32;  // HMAC-SHA256 key: the hash's output size (RFC 2104 §3)

std::uint32_t load_u24(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | std::uint32_t{p[2]};
}

void store_u24(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 16);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v);
}

/// What the stateless exchange needs from a ClientHello.
struct ClientHelloView {
  const std::uint8_t* epoch_and_sequence;  // 8 bytes, echoed in the HelloVerifyRequest
  stun::Bytes cookie;                      // empty in a first ClientHello
};

/// Parses the first record of a datagram as an unfragmented-enough ClientHello, accepting what
/// OpenSSL's DTLSv1_listen accepts (it parses the datagram again once the cookie verified): an
/// epoch-0 handshake record of a DTLS version holding exactly one ClientHello fragment that
/// starts at offset 0 and reaches past the cookie (RFC 6347 §4.2.1: the cookie must fit in the
/// first fragment, a stateless server cannot reassemble). Further records are ignored.
std::optional<ClientHelloView> parse_client_hello(stun::Bytes d) {
  if (d.size() < kRecordHeader || d[0] != kContentHandshake || d[1] != kDtlsMajor)
    return std::nullopt;
  if (d[3] != 0 || d[4] != 0)  // epoch 0: nothing is encrypted before the handshake
    return std::nullopt;
  const std::size_t record_length = stun::load_u16(&d[11]);
  if (record_length > d.size() - kRecordHeader || record_length < kHandshakeHeader)
    return std::nullopt;
  const std::uint8_t* h = &d[kRecordHeader];
  const std::uint32_t message_length = load_u24(h + 1);
  const std::uint16_t message_seq = stun::load_u16(h + 4);
  const std::uint32_t fragment_offset = load_u24(h + 6);
  const std::uint32_t fragment_length = load_u24(h + 9);
  // A ClientHello is message 0, or 1 when it answers a HelloVerifyRequest (RFC 6347 §4.2.2);
  // DTLSv1_listen tolerates up to 2.
  if (h[0] != kClientHello || message_seq > 2 || fragment_offset != 0 ||
      fragment_length > message_length || kHandshakeHeader + fragment_length != record_length)
    return std::nullopt;
  // client_version, random, session_id<0..32>, cookie<0..2^8-1>
  stun::Bytes body(h + kHandshakeHeader, fragment_length);
  std::size_t at = 2 + kRandomSize;
  if (body.size() < at + 1)
    return std::nullopt;
  at += 1 + body[at];  // session_id
  if (body.size() < at + 1)
    return std::nullopt;
  const std::size_t cookie_length = body[at];
  at += 1;
  if (body.size() < at + cookie_length)
    return std::nullopt;
  return ClientHelloView{&d[3], body.subspan(at, cookie_length)};
}

// ---- The datagram BIO --------------------------------------------------------------------------
// OpenSSL's memory BIOs keep no datagram boundaries, and BIO_s_dgram_mem needs OpenSSL 3.2. This
// one reads exactly one datagram (the one receive() was given) and packs written records into
// datagrams of at most kMtu bytes. It reports the packed size as BIO_CTRL_WPENDING, which is how
// OpenSSL's DTLS layer sizes each handshake fragment to the room left in the datagram.

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  auto* io = static_cast<detail::DtlsIo*>(BIO_get_data(bio));
  if (io == nullptr || size < 0)
    return -1;
  io->write(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size));
  return size;
}

int bio_read(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  auto* io = static_cast<detail::DtlsIo*>(BIO_get_data(bio));
  if (io == nullptr || size < 0)
    return -1;
  if (!io->in_ready) {
    BIO_set_retry_read(bio);  // SSL_ERROR_WANT_READ: wait for the next datagram
    return -1;
  }
  // Like recvfrom() into a short buffer, a datagram larger than OpenSSL's buffer is truncated
  // (its records then fail to parse and are discarded).
  const std::size_t n = std::min(io->in_size, static_cast<std::size_t>(size));
  std::memcpy(out, io->in, n);
  io->in_ready = false;
  return static_cast<int>(n);
}

long bio_ctrl(BIO* bio, int cmd, long num, void* ptr) {
  (void)num;
  auto* io = static_cast<detail::DtlsIo*>(BIO_get_data(bio));
  if (io == nullptr)
    return 0;
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      // Deferred to the end of the call (SinkScope): OpenSSL flushes after every retransmitted
      // message, which would send a retransmitted flight as one datagram per message. Nothing
      // waits on the flush (the next input comes with the next call), and a record that does
      // not fit the datagram being packed still starts a new one (DtlsIo::write).
      return 1;
    case BIO_CTRL_WPENDING:
      return static_cast<long>(io->out_size);
    case BIO_CTRL_PENDING:
      return io->in_ready ? static_cast<long>(io->in_size) : 0;
    case BIO_CTRL_EOF:
      return 0;  // a datagram transport never ends; close_notify does that
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
      return static_cast<long>(detail::DtlsIo::kMtu);
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      return 0;  // kMtu already is the UDP payload size
    case BIO_CTRL_DGRAM_GET_PEER: {
      sockaddr_storage ss{};
      io->peer.to_sockaddr(ss);
      if (io->peer.is_v4()) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
        return BIO_ADDR_rawmake(static_cast<BIO_ADDR*>(ptr), AF_INET, &sin->sin_addr,
                                sizeof sin->sin_addr, sin->sin_port);
      }
      if (io->peer.is_v6()) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        return BIO_ADDR_rawmake(static_cast<BIO_ADDR*>(ptr), AF_INET6, &sin6->sin6_addr,
                                sizeof sin6->sin6_addr, sin6->sin6_port);
      }
      return 0;
    }
    case BIO_CTRL_DGRAM_SET_PEER:
    case BIO_CTRL_DGRAM_SET_CONNECTED:
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
      return 1;  // the worker owns the socket and the clock
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

struct DatagramBioMethod {
  int type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK;
  BIO_METHOD* method = nullptr;
  DatagramBioMethod() {
    method = BIO_meth_new(type, "turnd DTLS datagram");
    if (method == nullptr || !BIO_meth_set_write(method, bio_write) ||
        !BIO_meth_set_read(method, bio_read) || !BIO_meth_set_ctrl(method, bio_ctrl) ||
        !BIO_meth_set_create(method, bio_create))
      throw std::runtime_error("DTLS: cannot create the datagram BIO method");
  }
};

/// Created once per process and never freed (sessions may outlive any owner we could pick).
const DatagramBioMethod& datagram_bio() {
  static const DatagramBioMethod m;
  return m;
}

/// The DtlsIo of an SSL object made by dtls_accept(), or null for any other.
detail::DtlsIo* io_of(SSL* ssl) {
  BIO* bio = SSL_get_rbio(ssl);
  if (bio == nullptr || BIO_method_type(bio) != datagram_bio().type)
    return nullptr;
  return static_cast<detail::DtlsIo*>(BIO_get_data(bio));
}

int generate_cookie(SSL* ssl, unsigned char* cookie, unsigned int* length) {
  detail::DtlsIo* io = io_of(ssl);
  if (io == nullptr || io->secret == nullptr)
    return 0;
  const auto c = io->secret->make(io->peer);
  std::memcpy(cookie, c.data(), c.size());
  *length = static_cast<unsigned int>(c.size());
  return 1;
}

int verify_cookie(SSL* ssl, const unsigned char* cookie, unsigned int length) {
  detail::DtlsIo* io = io_of(ssl);
  if (io == nullptr || io->secret == nullptr)
    return 0;
  return io->secret->verify(io->peer, stun::Bytes(cookie, length)) ? 1 : 0;
}

/// Points the BIO's output at `sink` for the duration of one call, and sends whatever datagram
/// is still being packed when the call ends. Nests: a send() made from inside receive()'s
/// on_message gets its own sink and hands receive()'s back afterwards.
class SinkScope {
 public:
  SinkScope(detail::DtlsIo& io, const ByteSink& sink) : io_(io), saved_(io.sink) {
    io_.flush();
    io_.sink = &sink;
  }
  ~SinkScope() {
    io_.flush();
    io_.sink = saved_;
  }
  SinkScope(const SinkScope&) = delete;
  SinkScope& operator=(const SinkScope&) = delete;

 private:
  detail::DtlsIo& io_;
  const ByteSink* saved_;
};

/// Decrypted records land here: one record is at most 2^14 bytes (RFC 6347 §4.1, RFC 5246
/// §6.2.1), so one SSL_read returns one whole record. Per thread rather than per session: a
/// worker serves thousands of sessions, and on_message consumes the bytes before returning.
std::array<std::uint8_t, DtlsSession::kMaxPlaintext>& plaintext_buffer() {
  thread_local std::array<std::uint8_t, DtlsSession::kMaxPlaintext> buffer;
  return buffer;
}

}  // namespace

// ---- detail::DtlsIo ----------------------------------------------------------------------------

void detail::DtlsIo::write(const std::uint8_t* data, std::size_t size) {
  if (out_size != 0 && out_size + size > kMtu)
    flush();
  if (size > kMtu) {  // a large application record: its own datagram, IP-fragmented
    if (sink != nullptr)
      (*sink)(stun::Bytes(data, size));
    return;
  }
  std::memcpy(out.data() + out_size, data, size);
  out_size += size;
}

void detail::DtlsIo::flush() {
  if (out_size == 0)
    return;
  const std::size_t n = out_size;
  out_size = 0;
  if (sink != nullptr)
    (*sink)(stun::Bytes(out.data(), n));
}

// ---- DtlsCookieSecret --------------------------------------------------------------------------

DtlsCookieSecret::DtlsCookieSecret() {
  hmac_ = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (hmac_ != nullptr) {
    current_ = new_keyed_context();
    previous_ = new_keyed_context();
  }
  if (current_ == nullptr || previous_ == nullptr) {
    EVP_MAC_CTX_free(current_);
    EVP_MAC_CTX_free(previous_);
    EVP_MAC_free(hmac_);
    ERR_clear_error();
    throw std::runtime_error("DTLS: cannot set up the HMAC-SHA256 cookie secret");
  }
}

DtlsCookieSecret::~DtlsCookieSecret() {
  EVP_MAC_CTX_free(current_);  // frees (and cleanses) the keys
  EVP_MAC_CTX_free(previous_);
  EVP_MAC_free(hmac_);
}

EVP_MAC_CTX* DtlsCookieSecret::new_keyed_context() {
  std::array<std::uint8_t, kKeySize> key;
  EVP_MAC_CTX* mac = nullptr;
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) == 1) {
    mac = EVP_MAC_CTX_new(hmac_);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (mac != nullptr && EVP_MAC_init(mac, key.data(), key.size(), params) != 1) {
      EVP_MAC_CTX_free(mac);
      mac = nullptr;
    }
  }
  OPENSSL_cleanse(key.data(), key.size());
  return mac;
}

void DtlsCookieSecret::rotate() {
  EVP_MAC_CTX* next = new_keyed_context();
  if (next == nullptr) {
    // Keep the old keys rather than lose the ability to make cookies; try again next time.
    ERR_clear_error();
    return;
  }
  EVP_MAC_CTX_free(previous_);
  previous_ = current_;
  current_ = next;
}

bool DtlsCookieSecret::rotate_if_due(std::uint64_t now_ms) {
  if (!last_rotation_ms_) {
    last_rotation_ms_ = now_ms;
    return false;
  }
  if (now_ms - *last_rotation_ms_ < kRotateIntervalMs)
    return false;
  rotate();
  last_rotation_ms_ = now_ms;
  return true;
}

bool DtlsCookieSecret::compute(EVP_MAC_CTX* mac, const stun::SocketAddress& client,
                               std::array<std::uint8_t, kCookieSize>& out) {
  // family || ip || port: the transport address the HelloVerifyRequest went to (RFC 6347
  // §4.2.1); a cookie from one address or port is worth nothing at another.
  std::array<std::uint8_t, 1 + 16 + 2> input{};
  input[0] = client.family;
  const auto ip = client.ip_bytes();
  std::copy(ip.begin(), ip.end(), input.begin() + 1);
  stun::store_u16(input.data() + 1 + ip.size(), client.port);
  const std::size_t input_size = 1 + ip.size() + 2;

  std::array<std::uint8_t, EVP_MAX_MD_SIZE> full;
  std::size_t full_size = 0;
  // A null key reinitialises the HMAC with the key it already holds.
  if (EVP_MAC_init(mac, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(mac, input.data(), input_size) != 1 ||
      EVP_MAC_final(mac, full.data(), &full_size, full.size()) != 1 || full_size < kCookieSize) {
    ERR_clear_error();
    return false;
  }
  std::copy_n(full.begin(), kCookieSize, out.begin());
  return true;
}

std::array<std::uint8_t, DtlsCookieSecret::kCookieSize> DtlsCookieSecret::make(
    const stun::SocketAddress& client) {
  std::array<std::uint8_t, kCookieSize> cookie{};
  // On failure the cookie stays all zeros, which verify() never accepts (it recomputes).
  compute(current_, client, cookie);
  return cookie;
}

bool DtlsCookieSecret::verify(const stun::SocketAddress& client, stun::Bytes cookie) {
  if (cookie.size() != kCookieSize)
    return false;
  for (EVP_MAC_CTX* mac : {current_, previous_}) {
    std::array<std::uint8_t, kCookieSize> expected;
    if (compute(mac, client, expected) &&
        CRYPTO_memcmp(expected.data(), cookie.data(), kCookieSize) == 0)
      return true;
  }
  return false;
}

// ---- Accepting ---------------------------------------------------------------------------------

void enable_dtls_cookies(SSL_CTX* ctx) {
  SSL_CTX_set_cookie_generate_cb(ctx, generate_cookie);
  SSL_CTX_set_cookie_verify_cb(ctx, verify_cookie);
}

bool dtls_is_client_hello(stun::Bytes datagram) {
  return parse_client_hello(datagram).has_value();
}

std::unique_ptr<DtlsSession> dtls_accept(SSL_CTX* ctx, DtlsCookieSecret& secret,
                                         const stun::SocketAddress& from, stun::Bytes datagram,
                                         std::uint64_t now_ms, ByteSink send, DtlsAccept& outcome) {
  outcome = DtlsAccept::kDrop;
  const auto hello = parse_client_hello(datagram);
  if (!hello)
    return nullptr;  // not a ClientHello: silently discarded (RFC 6347 §4.1.2.7)

  if (!secret.verify(from, hello->cookie)) {
    // RFC 6347 §4.2.1: answer with a HelloVerifyRequest and keep nothing. The record echoes
    // the ClientHello's sequence number and says DTLS 1.0 whatever version follows; the
    // message is the server's first (message_seq 0) and never fragmented.
    const auto cookie = secret.make(from);
    constexpr std::size_t kBody = 2 + 1 + DtlsCookieSecret::kCookieSize;
    std::array<std::uint8_t, kRecordHeader + kHandshakeHeader + kBody> hvr{};
    std::uint8_t* p = hvr.data();
    p[0] = kContentHandshake;
    p[1] = kDtlsMajor;
    p[2] = kDtls10Minor;
    std::memcpy(p + 3, hello->epoch_and_sequence, 8);
    stun::store_u16(p + 11, static_cast<std::uint16_t>(kHandshakeHeader + kBody));
    p += kRecordHeader;
    p[0] = kHelloVerifyRequest;
    store_u24(p + 1, kBody);    // length
    stun::store_u16(p + 4, 0);  // message_seq
    store_u24(p + 6, 0);        // fragment_offset
    store_u24(p + 9, kBody);    // fragment_length
    p += kHandshakeHeader;
    p[0] = kDtlsMajor;  // server_version
    p[1] = kDtls10Minor;
    p[2] = static_cast<std::uint8_t>(cookie.size());
    std::memcpy(p + 3, cookie.data(), cookie.size());
    send(hvr);
    outcome = DtlsAccept::kHelloVerifySent;
    return nullptr;
  }

  // The client proved it receives at `from`: from here on, state may be kept.
  std::unique_ptr<DtlsSession> session(new DtlsSession(from, now_ms));
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx);
  BIO* bio = BIO_new(datagram_bio().method);
  if (ssl == nullptr || bio == nullptr) {
    SSL_free(ssl);
    BIO_free(bio);
    ERR_clear_error();
    return nullptr;
  }
  session->ssl_ = ssl;
  BIO_set_data(bio, &session->io_);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL from now on
  // OpenSSL fragments flights to kMtu itself (RFC 6347 §4.1.1.1); renegotiation would let a
  // client restart expensive handshakes on an association at will, and TURN has no use for it.
  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_COOKIE_EXCHANGE);
  SSL_set_mtu(ssl, static_cast<long>(DtlsSession::kMtu));
  SSL_set_accept_state(ssl);

  // DTLSv1_listen parses the ClientHello again, checks the cookie through verify_cookie and
  // sets the state machine up to continue after a HelloVerifyRequest (message and record
  // sequence numbers, RFC 6347 §4.2.2); the server state machine then checks the cookie once
  // more, which is why the secret stays reachable until SSL_accept returns.
  std::size_t sent = 0;
  auto counting = [&](stun::Bytes b) {
    ++sent;
    send(b);
  };
  const ByteSink counting_sink(counting);
  session->io_.secret = &secret;
  session->io_.in = datagram.data();
  session->io_.in_size = datagram.size();
  session->io_.in_ready = true;
  int listened = -1;
  int accepted = -1;
  {
    SinkScope scope(session->io_, counting_sink);
    BIO_ADDR* client = BIO_ADDR_new();
    if (client != nullptr) {
      listened = DTLSv1_listen(ssl, client);
      BIO_ADDR_free(client);
    }
    if (listened == 1)
      accepted = SSL_accept(ssl);
  }
  session->io_.secret = nullptr;
  session->io_.in_ready = false;
  if (listened != 1) {
    ERR_clear_error();
    if (sent != 0)
      outcome = DtlsAccept::kHelloVerifySent;
    return nullptr;
  }
  if (accepted <= 0) {
    const int error = SSL_get_error(ssl, accepted);
    ERR_clear_error();
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
      return nullptr;  // e.g. no common cipher suite: the alert went out through `send`
  }
  outcome = DtlsAccept::kSession;
  return session;
}

// ---- DtlsSession -------------------------------------------------------------------------------

DtlsSession::DtlsSession(const stun::SocketAddress& peer, std::uint64_t now_ms)
    : peer_(peer), created_ms_(now_ms) {
  io_.peer = peer;
}

DtlsSession::~DtlsSession() {
  SSL_free(ssl_);  // frees the BIO too
}

bool DtlsSession::handshake_done() const {
  return SSL_is_init_finished(ssl_) == 1;
}

void DtlsSession::fail() {
  error_ = ERR_peek_error();
  ERR_clear_error();
  state_ = State::kFailed;
}

bool DtlsSession::check(int ret) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      ERR_clear_error();
      return true;
    case SSL_ERROR_ZERO_RETURN:
      // close_notify: answer with ours (RFC 5246 §7.2.1); the sink scope is still active.
      ERR_clear_error();
      SSL_shutdown(ssl_);
      ERR_clear_error();
      state_ = State::kClosed;
      return false;
    default:  // a fatal alert, sent (already through the sink) or received
      fail();
      return false;
  }
}

bool DtlsSession::receive(stun::Bytes datagram, ByteSink on_message, ByteSink send) {
  return receive_into(datagram, plaintext_buffer(), /*advance=*/false, on_message, send);
}

bool DtlsSession::receive_in_place(stun::MutableBytes datagram, ByteSink on_message,
                                   ByteSink send) {
  return receive_into(datagram, datagram, /*advance=*/true, on_message, send);
}

bool DtlsSession::receive_into(stun::Bytes datagram, stun::MutableBytes out, bool advance,
                               ByteSink on_message, ByteSink send) {
  if (!open())
    return false;
  if (datagram.empty())
    return true;  // nothing to parse; a zero-length read would look like EOF to OpenSSL
  SinkScope scope(io_, send);
  io_.in = datagram.data();
  io_.in_size = datagram.size();
  io_.in_ready = true;
  bool alive = true;
  ERR_clear_error();
  if (!handshake_done()) {
    const int r = SSL_do_handshake(ssl_);
    if (r <= 0)
      alive = check(r);
  }
  // Records after the handshake's last one may share its datagram (RFC 6347 §4.1.1): read
  // until OpenSSL wants the next datagram. The first SSL_read copies the whole datagram in
  // (bio_read) before it writes any plaintext, so `out` may be the datagram itself.
  std::size_t used = 0;
  while (alive && handshake_done() && used < out.size()) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, out.data() + used, static_cast<int>(out.size() - used));
    if (n <= 0) {
      alive = check(n);  // WANT_READ: done with this datagram, and still alive
      break;
    }
    io_.flush();  // anything OpenSSL wrote goes out before the caller's answer
    on_message(stun::Bytes(out.data() + used, static_cast<std::size_t>(n)));
    if (advance)
      used += static_cast<std::size_t>(n);
    alive = open();  // on_message may have closed the session
  }
  io_.in_ready = false;
  return alive;
}

bool DtlsSession::send(stun::Bytes plaintext, ByteSink send) {
  if (!open() || !handshake_done() || plaintext.empty() || plaintext.size() > kMaxPlaintext)
    return false;
  SinkScope scope(io_, send);
  ERR_clear_error();
  const int n = SSL_write(ssl_, plaintext.data(), static_cast<int>(plaintext.size()));
  if (n <= 0) {
    check(n);
    return false;
  }
  return true;
}

bool DtlsSession::handle_timeout(ByteSink send) {
  if (!open())
    return false;
  if (handshake_done())
    return true;
  SinkScope scope(io_, send);
  ERR_clear_error();
  if (DTLSv1_handle_timeout(ssl_) < 0) {  // too many retransmissions (RFC 6347 §4.2.4)
    fail();
    return false;
  }
  ERR_clear_error();
  return true;
}

std::optional<std::uint64_t> DtlsSession::next_timeout_ms() const {
  timeval left{};
  if (!open() || DTLSv1_get_timeout(ssl_, &left) != 1)
    return std::nullopt;
  return static_cast<std::uint64_t>(left.tv_sec) * 1000 +
         (static_cast<std::uint64_t>(left.tv_usec) + 999) / 1000;
}

void DtlsSession::close(ByteSink send) {
  if (!open())
    return;
  SinkScope scope(io_, send);
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
  state_ = State::kClosed;
}

std::size_t DtlsSession::max_unfragmented_plaintext() const {
  return handshake_done() ? DTLS_get_data_mtu(ssl_) : 0;
}

const char* DtlsSession::failure_reason() const {
  if (error_ == 0)
    return "";
  const char* reason = ERR_reason_error_string(error_);
  return reason != nullptr ? reason : "";
}

}  // namespace turn
