// TURN over DTLS (RFC 8656 §3.1, RFC 7350) on one worker's UDP listeners: a DtlsSession per
// client address, the one owner of those sessions. No state is kept for a client until its
// ClientHello returned the stateless cookie (RFC 6347 §4.2.1); then the session counts against
// max-connections(-per-source) like a TCP connection. Decrypted messages and the records to send
// go through DtlsHost, the worker that owns the listeners.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "alloc/allocation.hpp"
#include "conn/connection_host.hpp"
#include "guard/connection_limiter.hpp"
#include "net/dtls_session.hpp"
#include "util/stats.hpp"

namespace turn {

/// What the DTLS clients need of the worker that receives their datagrams.
class DtlsHost : public ConnectionHost {
 public:
  /// A DTLS record for `to`'s client, now, from its UDP listener.
  virtual void send_record(const ClientKey& to, stun::Bytes record) = 0;
};

class DtlsClients {
 public:
  DtlsClients(DtlsHost& host, ConnectionLimiter& limits, WorkerStats& stats);
  DtlsClients(const DtlsClients&) = delete;
  DtlsClients& operator=(const DtlsClients&) = delete;

  /// A datagram whose first byte is a DTLS record (RFC 7983: 20-63) from `from` on `listener`.
  /// A known session decrypts it over its own receive slot, so what the handlers queue from it
  /// stays valid until the batch is flushed, as for plain UDP.
  void on_datagram(SSL_CTX* ctx, const stun::SocketAddress& from, std::uint32_t listener,
                   stun::MutableBytes data, std::uint64_t now);
  bool contains(std::uint32_t connection) const { return sessions_.count(connection) != 0; }
  /// Encrypts `plaintext` and sends it to the client of session `connection`.
  void send(std::uint32_t connection, stun::Bytes plaintext);
  void close(std::uint32_t connection, const char* why);
  void close_all(const char* why);
  /// Handshakes not done in time, OpenSSL's retransmissions, idle sessions without an
  /// allocation; and the cookie secret's rotation.
  void sweep(std::uint64_t now);
  std::size_t size() const { return sessions_.size(); }

 private:
  struct Client {
    std::unique_ptr<DtlsSession> session;
    ClientKey key;  ///< with this client's connection id
    std::uint64_t last_activity_ms = 0;
    ConnectionLimiter::Slot slot;  ///< max-connections(-per-source)
  };

  DtlsHost& host_;
  ConnectionLimiter& limits_;
  WorkerStats& stats_;
  std::unordered_map<std::uint32_t, std::unique_ptr<Client>> sessions_;  ///< by connection id
  /// By client address and listener (connection 0): where a DTLS datagram belongs.
  std::unordered_map<ClientKey, std::uint32_t, ClientKeyHash> by_address_;
  std::unique_ptr<DtlsCookieSecret> secret_;
};

}  // namespace turn
