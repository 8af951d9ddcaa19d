// DTLS 1.2 server sessions for TURN over DTLS (RFC 8656 §3.1, RFC 7350, RFC 6347), with no I/O
// of their own: the worker hands in each datagram it received and sends each datagram a session
// hands back. Nothing here reads a socket, arms a timer or starts a thread.
//
// The flow, for a datagram from a 5-tuple that has no session yet (and whose first byte is in
// 20..63, RFC 7983 §7):
//   dtls_accept() runs the stateless cookie exchange of RFC 6347 §4.2.1 BEFORE any per-client
//   state exists (coturn's CVE-2026-73214 was pre-cookie state exhaustion). A ClientHello with
//   no cookie, or a cookie that does not verify, is answered with a HelloVerifyRequest built
//   here from the datagram alone: no SSL object, nothing kept, one HMAC. Only a ClientHello
//   whose cookie proves the client receives at its source address creates a DtlsSession
//   (OpenSSL's DTLSv1_listen parses it again and the handshake continues on that SSL object).
// and for a datagram from a 5-tuple that has one: DtlsSession::receive().
//
// Datagrams out: every function that may produce datagrams takes a ByteSink, called
// synchronously once per datagram to send, so the caller can sendto() at once. The bytes are only
// valid during the call. Records of one flight are packed into datagrams of at most kMtu bytes
// (RFC 6347 §4.1.1 allows several records per datagram; OpenSSL fragments handshake messages to
// fit, §4.2.3); a single application-data record larger than that is sent alone.
//
// Timers: DTLS retransmits its handshake flights on a timer (RFC 6347 §4.2.4: 1 s, doubling up
// to 60 s). OpenSSL keeps that timer against its own clock (the one exception to "no I/O"); the
// worker calls handle_timeout() from its 250 ms sweep for sessions whose handshake is not done
// (next_timeout_ms() tells when it is due). OpenSSL itself gives up only after 12
// retransmissions, minutes later, so the worker also enforces its own handshake deadline with
// created_ms() and handshake_done(), and drops the session.
//
// Threads: a DtlsCookieSecret and the sessions are used by one worker thread; OpenSSL's error
// queue is per thread and every call here clears it first.
#pragma once

#include <openssl/types.h>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>

#include "stun/address.hpp"
#include "stun/bytes.hpp"

namespace turn {

/// A non-owning reference to a callable taking stun::Bytes, like the proposed std::function_ref:
/// no allocation, no copy of the callable, valid only while the callable lives (pass a lambda
/// straight into the call that uses it).
class ByteSink {
 public:
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, ByteSink> &&
           std::invocable<std::remove_reference_t<F>&, stun::Bytes>)
      ByteSink(F&& f)  // NOLINT(google-explicit-constructor): lambdas convert implicitly
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* o, stun::Bytes b) { (*static_cast<std::remove_reference_t<F>*>(o))(b); }) {}

  void operator()(stun::Bytes bytes) const { call_(object_, bytes); }

 private:
  void* object_;
  void (*call_)(void*, stun::Bytes);
};

/// The secret behind the stateless cookies (RFC 6347 §4.2.1): a random HMAC-SHA256 key per
/// process (per worker), replaced by rotate(). A cookie verifies against the current key and the
/// one before it, so a cookie lives between one and two rotation intervals; a client that got
/// its HelloVerifyRequest just before a rotation still gets in.
///
/// The cookie is HMAC-SHA256(key, family || ip || port) of the client's transport address,
/// truncated to kCookieSize bytes. It is only valid at the worker that issued it; with
/// SO_REUSEPORT the kernel hashes a client's 5-tuple to the same socket, hence the same worker.
class DtlsCookieSecret {
 public:
  /// 128 bits: ample against guessing within a rotation interval, and within the 32-byte cookie
  /// limit of DTLS 1.0 (RFC 4347 §4.2.1) that some clients still apply.
  static constexpr std::size_t kCookieSize = 16;
  static constexpr std::uint64_t kRotateIntervalMs = 5 * 60 * 1000;

  /// Draws two random keys (RAND_bytes). Throws std::runtime_error when OpenSSL cannot.
  DtlsCookieSecret();
  ~DtlsCookieSecret();
  DtlsCookieSecret(const DtlsCookieSecret&) = delete;
  DtlsCookieSecret& operator=(const DtlsCookieSecret&) = delete;

  /// The current key becomes the previous one; a new random key becomes current.
  void rotate();
  /// rotate() when kRotateIntervalMs have passed since the last rotation (the first call only
  /// starts the clock). For the worker's timer; returns whether it rotated.
  bool rotate_if_due(std::uint64_t now_ms);

  /// The cookie for `client` under the current key.
  std::array<std::uint8_t, kCookieSize> make(const stun::SocketAddress& client);
  /// Whether `cookie` was made for `client` under the current or the previous key
  /// (constant-time comparison).
  bool verify(const stun::SocketAddress& client, stun::Bytes cookie);

 private:
  /// HMAC-SHA256 of the address with `mac` (a keyed context, reinitialised per use), truncated.
  bool compute(EVP_MAC_CTX* mac, const stun::SocketAddress& client,
               std::array<std::uint8_t, kCookieSize>& out);
  EVP_MAC_CTX* new_keyed_context();

  EVP_MAC* hmac_ = nullptr;
  EVP_MAC_CTX* current_ = nullptr;
  EVP_MAC_CTX* previous_ = nullptr;
  std::optional<std::uint64_t> last_rotation_ms_;
};

/// Installs the cookie callbacks on a DTLS server SSL_CTX; call once per context, before it is
/// shared with worker threads (TlsContext does it for every context it builds, reloads
/// included). dtls_accept() needs them: DTLSv1_listen and the server state machine check the
/// cookie through them. The callbacks find the client's address and the secret in the session's
/// BIO, so they refuse every cookie on SSL objects not made by dtls_accept().
void enable_dtls_cookies(SSL_CTX* ctx);

/// Whether a datagram starts with a plaintext (epoch 0) ClientHello record: what a client sends
/// to start a handshake. On a 5-tuple whose session is established this means the client
/// restarted (RFC 6347 §4.2.8): run dtls_accept() on it, and replace the old session only when
/// that returns a new one (the cookie proves the new client is reachable there).
bool dtls_is_client_hello(stun::Bytes datagram);

enum class DtlsAccept : std::uint8_t {
  kHelloVerifySent,  ///< no or stale cookie: a HelloVerifyRequest went out, nothing is kept
  kSession,          ///< the cookie verified: a session exists, its handshake under way
  kDrop,             ///< not a usable ClientHello, or the handshake failed at once (an alert may
                     ///< have gone out); nothing is kept
};

namespace detail {
/// What a session's custom BIO works on (internal to dtls_session.cpp): the datagram being fed
/// in, the datagram being packed for sending and where it goes, and the client's address and the
/// secret for the cookie callbacks.
struct DtlsIo {
  static constexpr std::size_t kMtu = 1400;
  const std::uint8_t* in = nullptr;
  std::size_t in_size = 0;
  bool in_ready = false;           ///< `in` not yet read by OpenSSL
  const ByteSink* sink = nullptr;  ///< null: outgoing datagrams are dropped
  std::size_t out_size = 0;
  std::array<std::uint8_t, kMtu> out{};
  stun::SocketAddress peer;
  DtlsCookieSecret* secret = nullptr;  ///< set during dtls_accept() only

  /// Appends one record; sends the packed datagram first when the record does not fit in it.
  void write(const std::uint8_t* data, std::size_t size);
  /// Sends the packed datagram, if any.
  void flush();
};
}  // namespace detail

class DtlsSession;

/// A datagram from `from`, which has no session. Returns the new session when `outcome` is
/// kSession (its first flight already went out through `send`), null otherwise. `now_ms` becomes
/// created_ms(). `ctx` is a DTLS server context with enable_dtls_cookies(); the session keeps a
/// reference to it. Spoofed ClientHellos cost one HMAC and one 44-byte answer, smaller than the
/// ClientHello (no amplification).
std::unique_ptr<DtlsSession> dtls_accept(SSL_CTX* ctx, DtlsCookieSecret& secret,
                                         const stun::SocketAddress& from, stun::Bytes datagram,
                                         std::uint64_t now_ms, ByteSink send, DtlsAccept& outcome);

/// One client's DTLS association. Neither copyable nor movable (OpenSSL holds pointers into it).
class DtlsSession {
 public:
  /// Largest datagram a session sends, handshake flights included (unless one application
  /// record needs more): an IPv6 path with a 1500-byte MTU and room for tunnels.
  static constexpr std::size_t kMtu = detail::DtlsIo::kMtu;
  /// Largest plaintext send() takes: one DTLS record (RFC 6347 §4.1, 2^14 bytes).
  static constexpr std::size_t kMaxPlaintext = 16384;

  enum class State : std::uint8_t {
    kOpen,    ///< handshaking or established
    kClosed,  ///< the client sent close_notify (answered with ours), or close() was called
    kFailed,  ///< a fatal alert, sent or received: drop the session
  };

  ~DtlsSession();
  DtlsSession(const DtlsSession&) = delete;
  DtlsSession& operator=(const DtlsSession&) = delete;

  /// Feeds one datagram from the client. Each decrypted record is one STUN message or
  /// ChannelData frame (DTLS keeps record boundaries, RFC 6347 §4.1) and goes to `on_message`;
  /// datagrams to send back (handshake flights, alerts) go to `send`. Invalid records are
  /// discarded silently as RFC 6347 §4.1.2.7 asks; empty datagrams are ignored. Returns false
  /// once the session is over (state() says why): drop it.
  ///
  /// on_message's bytes live in a per-thread buffer, valid during the call; on_message may call
  /// send() or close() on this or another session, but not receive().
  bool receive(stun::Bytes datagram, ByteSink on_message, ByteSink send);
  /// The same, but each record's plaintext is written over the datagram itself (OpenSSL has
  /// copied the datagram in before it decrypts, and a record's plaintext is shorter than the
  /// record), so the messages stay valid as long as the datagram's memory does: a worker can
  /// queue relayed payloads from them and send the batch later, as for plain UDP.
  bool receive_in_place(stun::MutableBytes datagram, ByteSink on_message, ByteSink send);

  /// Encrypts `plaintext` (a STUN message or a ChannelData frame) as one record and hands the
  /// datagram to `send`. Returns false when nothing was sent: the handshake is not done, the
  /// plaintext is empty or above kMaxPlaintext, or the session is over (check state()).
  bool send(stun::Bytes plaintext, ByteSink send);

  /// Retransmits the last handshake flight when OpenSSL's timer has expired (RFC 6347 §4.2.4);
  /// does nothing otherwise, and nothing once the handshake is done. Returns false when the
  /// session is over (too many retransmissions).
  bool handle_timeout(ByteSink send);
  /// Time until handle_timeout() has work, by OpenSSL's clock; nullopt when no timer runs.
  std::optional<std::uint64_t> next_timeout_ms() const;

  /// Sends close_notify (RFC 5246 §7.2.1) and ends the session; state() becomes kClosed.
  void close(ByteSink send);

  bool handshake_done() const;
  State state() const { return state_; }
  bool open() const { return state_ == State::kOpen; }
  std::uint64_t created_ms() const { return created_ms_; }
  const stun::SocketAddress& peer() const { return peer_; }
  /// The largest plaintext whose record fits in one kMtu datagram with the negotiated cipher
  /// (DTLS_get_data_mtu); 0 before the handshake is done. Larger ones are sent, IP-fragmented.
  std::size_t max_unfragmented_plaintext() const;
  /// OpenSSL's reason for a kFailed state (for the log), or "" when there is none.
  const char* failure_reason() const;
  /// The SSL object, for logging the version, cipher or peer certificate; do not do I/O on it.
  SSL* native_handle() const { return ssl_; }

 private:
  friend std::unique_ptr<DtlsSession> dtls_accept(SSL_CTX*, DtlsCookieSecret&,
                                                  const stun::SocketAddress&, stun::Bytes,
                                                  std::uint64_t, ByteSink, DtlsAccept&);
  DtlsSession(const stun::SocketAddress& peer, std::uint64_t now_ms);
  /// receive() with the plaintext written to `out`: from its start each time (`advance` false),
  /// or one record after the other (`advance` true, for receive_in_place).
  bool receive_into(stun::Bytes datagram, stun::MutableBytes out, bool advance, ByteSink on_message,
                    ByteSink send);
  /// Records OpenSSL's error for `ret` and moves to kFailed or kClosed; false when it is fatal.
  bool check(int ret);
  void fail();

  SSL* ssl_ = nullptr;
  detail::DtlsIo io_;
  stun::SocketAddress peer_;
  std::uint64_t created_ms_ = 0;
  unsigned long error_ = 0;  ///< OpenSSL error code behind kFailed
  State state_ = State::kOpen;
};

}  // namespace turn
