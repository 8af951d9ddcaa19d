// A small blocking STUN/TURN client, built on libstun, for driving an in-process turnd in tests:
// over a real UDP socket by default, or over TCP, TLS or DTLS (RFC 8656 §3.1; see
// stream_connection.hpp). Everything here is deliberately simple: one socket, poll() with a
// timeout, no threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stun/stun.hpp"
#include "support/stream_connection.hpp"
#include "support/timeouts.hpp"

namespace turntest {

stun::SocketAddress loopback(std::uint16_t port = 0);
/// "192.0.2.1" or "2001:db8::1" with `port`; throws std::invalid_argument when it is no address.
stun::SocketAddress address(const char* ip, std::uint16_t port);

/// A datagram; over TCP/TLS one frame cut from the stream, over DTLS one record (then `from` is
/// the server's address).
struct Datagram {
  std::vector<std::uint8_t> data;
  stun::SocketAddress from;
};

/// A UDP socket bound to one local address (127.0.0.1 and a kernel-chosen port by default).
class UdpSocket {
 public:
  explicit UdpSocket(const stun::SocketAddress& bind_to = loopback());
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  const stun::SocketAddress& local() const { return local_; }
  int fd() const { return fd_; }
  void send_to(const stun::SocketAddress& to, stun::Bytes data) const;
  void send_to(const stun::SocketAddress& to, const std::vector<std::uint8_t>& data) const {
    send_to(to, stun::Bytes(data));
  }
  /// The next datagram, or nullopt when none arrives within `timeout`.
  std::optional<Datagram> receive(Millis timeout = kReplyTimeout) const;

 private:
  int fd_ = -1;
  stun::SocketAddress local_;
};

/// A received STUN message that owns its bytes.
class Message {
 public:
  Message() = default;
  explicit Message(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  /// Parses the bytes; throws std::runtime_error when they are not a STUN message. The view
  /// points into this Message.
  stun::MessageView view() const;
  stun::Method method() const { return view().method(); }
  stun::Class cls() const { return view().message_class(); }
  bool is_success() const { return cls() == stun::Class::kSuccess; }
  /// ERROR-CODE's code, or 0 when absent.
  int error_code() const;
  bool has(stun::AttrType t) const { return view().has(t); }

 private:
  std::vector<std::uint8_t> bytes_;
};

enum class Auth : std::uint8_t { kNone, kMd5, kSha256 };

struct RequestOptions {
  Auth auth = Auth::kMd5;
  bool userhash = false;     ///< USERHASH instead of USERNAME
  bool fingerprint = false;  ///< append FINGERPRINT
  bool retry = true;         ///< answer a 401 challenge / 438 Stale Nonce once automatically
  std::optional<stun::TransactionId> tid;
};

inline RequestOptions no_auth() {
  RequestOptions o;
  o.auth = Auth::kNone;
  return o;
}

using AttrFn = std::function<void(stun::MessageBuilder&)>;

/// What a peer's datagram looks like when it reaches the client.
struct Relayed {
  bool channel = false;      ///< ChannelData (else a Data indication)
  std::uint16_t number = 0;  ///< the channel number for ChannelData
  stun::SocketAddress peer;  ///< XOR-PEER-ADDRESS of a Data indication
  std::vector<std::uint8_t> data;
};

stun::TransactionId random_tid();
std::vector<std::uint8_t> payload_of(std::size_t size, std::uint8_t seed);
/// The bytes of `s` (raw stream input for framing tests).
std::vector<std::uint8_t> bytes_of_text(std::string_view s);
/// The parts one after the other.
std::vector<std::uint8_t> concat_bytes(
    std::initializer_list<const std::vector<std::uint8_t>*> parts);
/// A UDP port on 127.0.0.1 free right now (bound, then released), e.g. for a one-port relay range.
std::uint16_t free_udp_port();

/// How a TurnClient reaches the server.
struct TurnClientOptions {
  Transport transport = Transport::kUdp;
  TlsOptions tls;  ///< kTls and kDtls only
  /// Bound on connecting and the TLS/DTLS handshake (the constructor throws past it).
  Millis connect_timeout = kReplyTimeout;
  /// UDP only: the client's own address (default: loopback of the server's family, any port),
  /// e.g. 127.0.0.2 to be another source than the other clients.
  std::optional<stun::SocketAddress> local;
};

class TurnClient {
 public:
  /// Over UDP, from a loopback socket of the server's family.
  TurnClient(const stun::SocketAddress& server, std::string user = "alice",
             std::string password = "alice-pass");
  /// Over `transport`; TCP, TLS and DTLS connect (and handshake) here, and throw
  /// std::runtime_error when that fails.
  TurnClient(const stun::SocketAddress& server, std::string user, std::string password,
             Transport transport);
  TurnClient(const stun::SocketAddress& server, std::string user, std::string password,
             const TurnClientOptions& options);
  ~TurnClient();
  TurnClient(const TurnClient&) = delete;
  TurnClient& operator=(const TurnClient&) = delete;

  Transport transport() const { return options_.transport; }
  /// The UDP socket; throws std::logic_error on the other transports (see connection()).
  UdpSocket& socket();
  /// The TCP/TLS/DTLS connection to the server; nullptr over UDP.
  Connection* connection() { return conn_.get(); }
  /// The same when it is a TCP/TLS stream; nullptr over UDP and DTLS.
  StreamConnection* stream();
  /// The socket's fd, whatever the transport.
  int fd() const;
  const stun::SocketAddress& local() const;
  const stun::SocketAddress& server() const { return server_; }
  const std::string& user() const { return creds_.user; }
  const std::string& realm() const { return creds_.realm; }
  const std::string& nonce() const { return creds_.nonce; }
  void set_nonce(std::string n) { creds_.nonce = std::move(n); }
  void set_realm(std::string r) { creds_.realm = std::move(r); }
  void set_password(std::string p) { creds_.password = std::move(p); }
  void set_user(std::string u) { creds_.user = std::move(u); }

  stun::Md5Key key_md5() const;
  stun::Sha256Key key_sha256() const;

  /// Encodes a request: `attrs`, then (per `opt.auth`) USERNAME or USERHASH, REALM, NONCE,
  /// PASSWORD-ALGORITHMS + PASSWORD-ALGORITHM (SHA-256 only), MESSAGE-INTEGRITY(-SHA256),
  /// then FINGERPRINT when asked.
  std::vector<std::uint8_t> build(stun::Method method, const AttrFn& attrs,
                                  const RequestOptions& opt, const stun::TransactionId& tid) const;
  /// Sends `bytes` and waits for the response carrying `tid`; anything else that arrives
  /// meanwhile is kept for receive_relayed().
  std::optional<Message> exchange(const std::vector<std::uint8_t>& bytes,
                                  const stun::TransactionId& tid, Millis timeout = kReplyTimeout);
  /// One request with the long-term credential dance: learns REALM/NONCE from a 401 when it
  /// has none yet and refreshes NONCE on 438 (when opt.retry). Throws when nothing answers.
  Message request(stun::Method method, const AttrFn& attrs = {}, RequestOptions opt = {});
  /// True when `response` carries a valid MESSAGE-INTEGRITY (kMd5) or MESSAGE-INTEGRITY-SHA256
  /// (kSha256) for this client's key.
  bool verify(const Message& response, Auth alg = Auth::kMd5) const;

  // TURN methods (RFC 8656). Each returns the final response; the caller checks it.
  Message allocate(const AttrFn& extra = {}, RequestOptions opt = {});
  /// XOR-RELAYED-ADDRESS of the last successful allocate().
  const stun::SocketAddress& relay() const { return relay_; }
  Message refresh(std::optional<std::uint32_t> lifetime, RequestOptions opt = {});
  Message create_permission(const std::vector<stun::SocketAddress>& peers, RequestOptions opt = {});
  Message channel_bind(std::uint16_t channel, const stun::SocketAddress& peer,
                       RequestOptions opt = {});
  void send_indication(const stun::SocketAddress& peer, stun::Bytes payload);
  /// Over TCP/TLS the ChannelData is zero-padded to a multiple of 4 bytes (RFC 8656 §12.5).
  void send_channel_data(std::uint16_t channel, stun::Bytes payload);
  /// The next Data indication or ChannelData from the server; other datagrams are skipped.
  std::optional<Relayed> receive_relayed(Millis timeout = kReplyTimeout);

  // Transport-level checks.
  /// Sends `bytes` as they are: one datagram (UDP), one record (DTLS), or raw stream bytes
  /// (TCP/TLS: partial frames, bad lengths and garbage reach the server's framer unchanged).
  void send_raw(stun::Bytes bytes);
  /// False once the server closed the TCP/TLS connection or DTLS association; always true over
  /// UDP.
  bool connected() const;
  /// Waits up to `timeout` for the server to close the connection (read returns EOF, a reset,
  /// close_notify or a fatal alert); frames that arrive meanwhile are kept for later reads.
  /// Over UDP there is nothing to close: false at once.
  bool closed_by_server(Millis timeout = kReplyTimeout);
  /// "TLSv1.3", "DTLSv1.2", ...; empty over UDP and TCP.
  std::string tls_version() const;
  /// Certificates the server presented (leaf included); 0 over UDP and TCP.
  int peer_chain_length() const;

  // RFC 6062 (TURN TCP allocations).
  /// Allocate with REQUESTED-TRANSPORT TCP (RFC 6062 §4.1; the control connection must be TCP
  /// or TLS).
  Message allocate_tcp(const AttrFn& extra = {}, RequestOptions opt = {});
  /// Connect (RFC 6062 §4.3): asks the server to open a TCP connection to `peer`; a success
  /// carries CONNECTION-ID.
  Message connect_peer(const stun::SocketAddress& peer, RequestOptions opt = {});
  /// A second connection to the server over the same transport (and TLS options): a data
  /// connection (RFC 6062 §4.4). Throws std::logic_error over UDP/DTLS.
  std::unique_ptr<StreamConnection> open_data_connection(Millis timeout = kReplyTimeout) const;
  /// ConnectionBind for `connection_id` sent on `data`, with this client's credentials
  /// (RFC 6062 §4.4). After a success, `data` carries the peer's raw bytes.
  Message connection_bind(StreamConnection& data, std::uint32_t connection_id,
                          RequestOptions opt = {});

 private:
  std::optional<Datagram> next_datagram(Millis timeout);
  /// The next datagram/frame/record from the server itself (not the backlog).
  std::optional<Datagram> receive_from_server(Millis timeout);
  void send_to_server(stun::Bytes bytes);
  /// request() over `via` (nullptr: the client's own transport).
  Message request_via(Connection* via, stun::Method method, const AttrFn& attrs,
                      RequestOptions opt);

  TurnClientOptions options_;
  std::unique_ptr<UdpSocket> udp_;    ///< kUdp
  std::unique_ptr<Connection> conn_;  ///< kTcp, kTls, kDtls
  stun::SocketAddress server_;
  stun::LongTermCredentials creds_;
  stun::SocketAddress relay_;
  std::deque<Datagram> backlog_;
};

}  // namespace turntest
