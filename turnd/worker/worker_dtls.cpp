// TURN over DTLS (RFC 8656 §3.1, RFC 7350) on the UDP listeners: datagrams whose first byte is
// a DTLS record (RFC 7983: 20-63) go through a DtlsSession per client address. No state is kept
// for a client until its ClientHello returns the stateless cookie (RFC 6347 §4.2.1).
#include "ingress/ingress.hpp"
#include "util/log.hpp"
#include "worker/worker.hpp"

namespace turn {
namespace {

/// A DTLS handshake must finish within this time.
constexpr std::uint64_t kHandshakeTimeoutMs = 10'000;
/// A session without an allocation that receives nothing for this long is dropped.
constexpr std::uint64_t kIdleTimeoutMs = 120'000;

}  // namespace

void Worker::on_dtls_datagram(Listener& l, const stun::SocketAddress& from,
                              stun::MutableBytes data) {
  const ClientKey address{from, l.index, 0};
  auto send_to = [this, &address](stun::Bytes record) { send_on_listener(address, record); };
  const std::uint64_t now = now_ms();
  auto known = dtls_by_address_.find(address);
  // A client that restarted sends a new ClientHello from the same address (RFC 6347 §4.2.8):
  // it gets a new session only once its cookie checks out, and the old one ends then.
  const bool restart = known != dtls_by_address_.end() &&
                       dtls_clients_.at(known->second)->session->handshake_done() &&
                       dtls_is_client_hello(data);
  if (known != dtls_by_address_.end() && !restart) {
    DtlsClient& c = *dtls_clients_.at(known->second);
    c.last_activity_ms = now;
    const ClientKey key = c.key;
    // Decrypted over the record's own receive slot: what the handlers queue from it stays
    // valid until the batch is flushed, as for plain UDP (a flush here released the slots that
    // later datagrams of the same batch still had queued sends pointing into).
    const bool open = c.session->receive_in_place(
        data, [this, &key](stun::Bytes message) { on_client_datagram(*this, key, message); },
        send_to);
    if (!open) {
      if (auto it = dtls_clients_.find(key.connection); it != dtls_clients_.end())
        close_dtls(*it->second, "closed by client");
    }
    return;
  }
  if (!dtls_secret_)
    dtls_secret_ = std::make_unique<DtlsCookieSecret>();
  DtlsAccept outcome = DtlsAccept::kDrop;
  auto session =
      dtls_accept(settings_->tls->dtls(), *dtls_secret_, from, data, now, send_to, outcome);
  if (!session) {
    if (outcome == DtlsAccept::kDrop)
      WorkerStats::add(stats_.malformed_packets);
    return;
  }
  // The cookie proved the source; a session now costs memory and a handshake, so it counts
  // against max-connections(-per-source) like a TCP connection. A restart replaces a session
  // of the same address, whose slot is given back first.
  if (restart)
    close_dtls(*dtls_clients_.at(known->second), "client restarted");
  ConnectionLimiter::Refusal why = ConnectionLimiter::Refusal::kNone;
  ConnectionLimiter::Slot slot = shared_.connections.acquire(from, why);
  if (!slot) {
    WorkerStats::add(stats_.connections_refused);
    return;
  }
  auto c = std::make_unique<DtlsClient>();
  c->slot = std::move(slot);
  c->session = std::move(session);
  c->key = ClientKey{from, l.index, new_connection_id()};
  c->last_activity_ms = now;
  dtls_by_address_[address] = c->key.connection;
  WorkerStats::add(stats_.dtls_sessions);
  dtls_clients_.emplace(c->key.connection, std::move(c));
  update_connection_gauge();
}

void Worker::send_dtls(DtlsClient& c, stun::Bytes plaintext) {
  const ClientKey& key = c.key;
  const bool sent = c.session->send(
      plaintext, [this, &key](stun::Bytes record) { send_on_listener(key, record); });
  if (!sent)
    WorkerStats::add(stats_.stream_dropped_messages);
}

void Worker::close_dtls(DtlsClient& c, const char* why) {
  const ClientKey key = c.key;
  if (Allocation* a = allocations_.find(key))
    allocations_.remove(*a, "connection closed");
  if (c.session->open()) {
    c.session->close([this, &key](stun::Bytes record) { send_on_listener(key, record); });
  }
  if (log::enabled(log::Level::kVerbose)) {
    log::write(log::Level::kVerbose,
               "DTLS session from " + key.client.to_string() + " closed: " + why);
  }
  dtls_by_address_.erase(ClientKey{key.client, key.listener, 0});
  dtls_clients_.erase(key.connection);  // c is gone from here on
  update_connection_gauge();
}

void Worker::sweep_dtls(std::uint64_t now) {
  if (dtls_secret_)
    dtls_secret_->rotate_if_due(now);
  std::vector<std::pair<DtlsClient*, const char*>> ended;
  for (auto& [id, c] : dtls_clients_) {
    DtlsSession& s = *c->session;
    if (!s.handshake_done()) {
      if (now - s.created_ms() > kHandshakeTimeoutMs) {
        ended.emplace_back(c.get(), "handshake not completed in time");
        continue;
      }
      // OpenSSL retransmits the server's flight when its timer is due (RFC 6347 §4.2.4).
      const ClientKey& key = c->key;
      if (!s.handle_timeout([this, &key](stun::Bytes record) { send_on_listener(key, record); })) {
        ended.emplace_back(c.get(), "handshake failed");
      }
    } else if (now - c->last_activity_ms > kIdleTimeoutMs && allocations_.find(c->key) == nullptr) {
      ended.emplace_back(c.get(), "idle without an allocation");
    }
  }
  for (auto& [c, why] : ended) {
    WorkerStats::add(stats_.stream_timeouts);
    close_dtls(*c, why);
  }
}

}  // namespace turn
