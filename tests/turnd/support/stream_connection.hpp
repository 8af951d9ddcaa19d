// Connected transports from a test client to a TURN server, besides plain UDP (RFC 8656 §3.1):
// TCP, TLS over TCP, and DTLS 1.2 over a connected UDP socket. Like the UDP client they are
// blocking with poll() timeouts and no threads, so a test reads top to bottom.
//
// Streams carry STUN messages and ChannelData back to back with no other framing; the receiver
// cuts them by their length fields (RFC 8656 §10.1, ChannelData padded to 4 bytes, §12.5).
// StreamConnection::next_frame does that with libstun's stun::next_frame. DTLS keeps one message
// per record, so no framing is needed there.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stun/address.hpp"
#include "stun/bytes.hpp"
#include "support/timeouts.hpp"

namespace turntest {

enum class Transport : std::uint8_t { kUdp, kTcp, kTls, kDtls };

/// "UDP", "TCP", "TLS", "DTLS" (for doctest SUBCASE and failure messages).
const char* transport_name(Transport t);
/// TCP and TLS: byte streams that need framing and ChannelData padding.
inline bool is_stream(Transport t) {
  return t == Transport::kTcp || t == Transport::kTls;
}

/// Client-side TLS/DTLS settings. The defaults suit the test server: its certificate is
/// self-signed, so nothing is verified unless `ca_file` is given.
struct TlsOptions {
  /// PEM file of trusted CAs. When set the server's chain must verify against it (and match
  /// `hostname` when that is set too); the handshake fails otherwise.
  std::string ca_file;
  /// Sent as SNI; with `ca_file`, the name the server's certificate must carry.
  std::string hostname;
  /// A client certificate (PEM, leaf first) and its key, for servers configured with CA-file.
  std::string cert_file;
  std::string key_file;
  /// Protocol bounds (TLS1_2_VERSION, DTLS1_2_VERSION, ...); 0 keeps the default: OpenSSL's for
  /// TLS, DTLS 1.2 exactly for DTLS.
  int min_version = 0;
  int max_version = 0;
  /// TLS 1.2-and-below cipher list, e.g. "DEFAULT@SECLEVEL=0" to be able to offer TLS 1.0.
  std::string cipher_list;
};

/// Writes on a connection give up after this long (the peer is not reading).
inline constexpr Millis kWriteTimeout = 5000ms;

/// A connected transport to one peer: a TCP/TLS stream or a DTLS association.
class Connection {
 public:
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Transport transport() const { return transport_; }
  int fd() const { return fd_; }
  const stun::SocketAddress& local() const { return local_; }
  const stun::SocketAddress& peer() const { return peer_; }

  /// Sends `bytes`: on a stream exactly as given (no framing or padding is added, so partial or
  /// malformed frames can be sent on purpose), over DTLS as one record. Throws
  /// std::runtime_error when the write fails or times out. Writing after closed() is allowed
  /// (the peer may only have shut down its own direction); to a peer that is really gone, TCP
  /// typically accepts one more write and fails the next (EPIPE after the peer's reset).
  virtual void write(stun::Bytes bytes) = 0;
  /// The next STUN message or ChannelData: a frame cut from the stream, or one DTLS record.
  /// nullopt when nothing complete arrives within `timeout` or the connection is closed.
  virtual std::optional<std::vector<std::uint8_t>> next_message(Millis timeout) = 0;
  /// Waits up to `timeout` for the peer to close (EOF, reset, TLS close_notify or a fatal
  /// alert); data that arrives meanwhile is kept for later reads. True once closed.
  virtual bool closed_by_peer(Millis timeout) = 0;
  /// Ends our sending side: close_notify for TLS/DTLS, then (streams) shutdown(SHUT_WR).
  virtual void close_write() = 0;

  /// True once the peer closed the connection or it failed.
  bool closed() const { return closed_; }
  /// How it ended ("EOF", "close_notify", an errno or OpenSSL error text); empty while open.
  const std::string& close_reason() const { return close_reason_; }

  /// The negotiated protocol ("TLSv1.3", "DTLSv1.2", ...); empty for plain TCP.
  std::string tls_version() const;
  /// The same as a number (TLS1_3_VERSION, DTLS1_2_VERSION, ...); 0 for plain TCP.
  int tls_version_number() const;
  /// The negotiated cipher suite's name; empty for plain TCP.
  std::string tls_cipher() const;
  /// How many certificates the server sent (leaf included); 0 for plain TCP.
  int peer_chain_length() const;
  /// The raw OpenSSL session (nullptr for plain TCP), for checks the accessors do not cover.
  SSL* ssl() const { return ssl_; }

 protected:
  explicit Connection(Transport t) : transport_(t) {}
  void mark_closed(std::string reason);
  /// Fills local_ and peer_ from fd_.
  void learn_addresses();

  Transport transport_;
  int fd_ = -1;
  stun::SocketAddress local_;
  stun::SocketAddress peer_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool closed_ = false;
  std::string close_reason_;
};

/// A TCP connection, optionally with TLS on top (TLS through memory BIOs, so every socket write
/// is a send(MSG_NOSIGNAL): a server that hangs up never raises SIGPIPE in the test binary).
class StreamConnection final : public Connection {
 public:
  /// Connects to `server` (kTcp or kTls) and, for kTls, completes the TLS handshake. Throws
  /// std::runtime_error when the connection or handshake fails or takes longer than `timeout`.
  static std::unique_ptr<StreamConnection> connect(const stun::SocketAddress& server,
                                                   Transport t = Transport::kTcp,
                                                   const TlsOptions& tls = {},
                                                   Millis timeout = kReplyTimeout);
  /// Wraps an accepted (or otherwise connected) plain TCP socket and takes ownership of it.
  static std::unique_ptr<StreamConnection> adopt(int fd);
  ~StreamConnection() override;

  void write(stun::Bytes bytes) override;
  /// What has been received and not consumed yet, else whatever arrives within `timeout`
  /// (empty on timeout or once closed). Raw bytes: for RFC 6062 data connections, whose
  /// payload is unframed once ConnectionBind succeeded (RFC 6062 §4.4).
  std::vector<std::uint8_t> read_some(Millis timeout = kReplyTimeout);
  /// Exactly `n` bytes, or nullopt when they do not all arrive within `timeout` (the bytes that
  /// did arrive stay buffered).
  std::optional<std::vector<std::uint8_t>> read_exactly(std::size_t n,
                                                        Millis timeout = kReplyTimeout);
  /// The next STUN message or ChannelData frame (padding included), cut with stun::next_frame.
  /// Throws std::runtime_error when the stream's next bytes cannot start a frame or announce one
  /// larger than stun::kMaxStreamFrame: RFC 8656 §10.1 leaves no way to resynchronise.
  std::optional<std::vector<std::uint8_t>> next_frame(Millis timeout = kReplyTimeout);
  std::optional<std::vector<std::uint8_t>> next_message(Millis timeout) override {
    return next_frame(timeout);
  }
  bool closed_by_peer(Millis timeout = kReplyTimeout) override;
  void close_write() override;
  /// Bytes received and not yet consumed.
  std::size_t buffered() const { return in_.size(); }

 private:
  explicit StreamConnection(Transport t) : Connection(t) {}
  void start_tls(const TlsOptions& tls, std::chrono::steady_clock::time_point deadline);
  /// Sends the TLS engine's pending output; false (with `error`) when the socket refuses.
  bool flush_tls(std::chrono::steady_clock::time_point deadline, std::string& error);
  /// Reads what the socket has (waiting until `deadline`) and appends it to `out`; false on
  /// timeout or EOF/error (then eof_ is set).
  bool recv_raw(std::chrono::steady_clock::time_point deadline, std::vector<std::uint8_t>& out);
  /// Appends newly received plaintext to in_; false on timeout or when the connection ended.
  bool pump(std::chrono::steady_clock::time_point deadline);

  BIO* rbio_ = nullptr;  ///< ciphertext from the socket, owned by ssl_
  BIO* wbio_ = nullptr;  ///< ciphertext for the socket, owned by ssl_
  bool eof_ = false;     ///< the socket reported EOF or an error
  bool handshake_done_ = false;
  std::vector<std::uint8_t> in_;  ///< plaintext received, not consumed yet
};

/// A DTLS 1.2 association over a connected UDP socket (OpenSSL's datagram BIO on the fd; the
/// socket is non-blocking and the DTLS retransmission timer is served while waiting, so a
/// handshake with a server that does not answer fails within the timeout).
class DtlsConnection final : public Connection {
 public:
  /// Handshakes with `server`; throws std::runtime_error on failure or after `timeout`.
  static std::unique_ptr<DtlsConnection> connect(const stun::SocketAddress& server,
                                                 const TlsOptions& tls = {},
                                                 Millis timeout = kReplyTimeout);
  ~DtlsConnection() override;

  /// One record carrying `bytes` (one STUN message or ChannelData; no padding is needed).
  void write(stun::Bytes bytes) override;
  /// The plaintext of the next record.
  std::optional<std::vector<std::uint8_t>> receive(Millis timeout = kReplyTimeout);
  std::optional<std::vector<std::uint8_t>> next_message(Millis timeout) override {
    return receive(timeout);
  }
  bool closed_by_peer(Millis timeout = kReplyTimeout) override;
  void close_write() override;

 private:
  DtlsConnection() : Connection(Transport::kDtls) {}
  /// Reads one record into pending_; false on timeout or close.
  bool read_record(std::chrono::steady_clock::time_point deadline);

  bool handshake_done_ = false;
  std::deque<std::vector<std::uint8_t>> pending_;
};

/// Connects with `t` (kTcp/kTls: StreamConnection, kDtls: DtlsConnection). kUdp is not a
/// connection: throws std::invalid_argument.
std::unique_ptr<Connection> connect_to(const stun::SocketAddress& server, Transport t,
                                       const TlsOptions& tls = {}, Millis timeout = kReplyTimeout);

/// A ChannelData message (RFC 8656 §12.4), zero-padded to a multiple of 4 bytes when `pad`
/// (required over TCP/TLS, RFC 8656 §12.5; optional and not done over UDP/DTLS).
std::vector<std::uint8_t> channel_data_frame(std::uint16_t channel, stun::Bytes payload, bool pad);

}  // namespace turntest
