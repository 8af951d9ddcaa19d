#include "conn/dtls_clients.hpp"

#include <vector>

#include "util/log.hpp"

namespace turn {
namespace {

/// A DTLS handshake must finish within this time.
constexpr std::uint64_t kHandshakeTimeoutMs = 10'000;
/// A session without an allocation that receives nothing for this long is dropped.
constexpr std::uint64_t kIdleTimeoutMs = 120'000;

}  // namespace

DtlsClients::DtlsClients(DtlsHost& host, ConnectionLimiter& limits, WorkerStats& stats)
    : host_(host), limits_(limits), stats_(stats) {}

void DtlsClients::on_datagram(SSL_CTX* ctx, const stun::SocketAddress& from, std::uint32_t listener,
                              stun::MutableBytes data, std::uint64_t now) {
  const ClientKey address{from, listener, 0};
  auto send_to = [this, &address](stun::Bytes record) { host_.send_record(address, record); };
  auto known = by_address_.find(address);
  // A client that restarted sends a new ClientHello from the same address (RFC 6347 §4.2.8):
  // it gets a new session only once its cookie checks out, and the old one ends then.
  const bool restart = known != by_address_.end() &&
                       sessions_.at(known->second)->session->handshake_done() &&
                       dtls_is_client_hello(data);
  if (known != by_address_.end() && !restart) {
    Client& c = *sessions_.at(known->second);
    c.last_activity_ms = now;
    const ClientKey key = c.key;
    const bool open = c.session->receive_in_place(
        data, [this, &key](stun::Bytes message) { host_.deliver(key, message); }, send_to);
    if (!open && contains(key.connection))
      close(key.connection, "closed by client");
    return;
  }
  if (!secret_)
    secret_ = std::make_unique<DtlsCookieSecret>();
  DtlsAccept outcome = DtlsAccept::kDrop;
  auto session = dtls_accept(ctx, *secret_, from, data, now, send_to, outcome);
  if (!session) {
    if (outcome == DtlsAccept::kDrop)
      WorkerStats::add(stats_.malformed_packets);
    return;
  }
  // The cookie proved the source; a session now costs memory and a handshake, so it counts
  // against max-connections(-per-source) like a TCP connection. A restart replaces a session
  // of the same address, whose slot is given back first.
  if (restart)
    close(known->second, "client restarted");
  ConnectionLimiter::Refusal why = ConnectionLimiter::Refusal::kNone;
  ConnectionLimiter::Slot slot = limits_.acquire(from, why);
  if (!slot) {
    WorkerStats::add(stats_.connections_refused);
    return;
  }
  auto c = std::make_unique<Client>();
  c->slot = std::move(slot);
  c->session = std::move(session);
  c->key = ClientKey{from, listener, host_.new_connection_id()};
  c->last_activity_ms = now;
  by_address_[address] = c->key.connection;
  WorkerStats::add(stats_.dtls_sessions);
  sessions_.emplace(c->key.connection, std::move(c));
  host_.connections_changed();
}

void DtlsClients::send(std::uint32_t connection, stun::Bytes plaintext) {
  auto it = sessions_.find(connection);
  if (it == sessions_.end())
    return;
  const ClientKey& key = it->second->key;
  const bool sent = it->second->session->send(
      plaintext, [this, &key](stun::Bytes record) { host_.send_record(key, record); });
  if (!sent)
    WorkerStats::add(stats_.stream_dropped_messages);
}

void DtlsClients::close(std::uint32_t connection, const char* why) {
  auto it = sessions_.find(connection);
  if (it == sessions_.end())
    return;
  Client& c = *it->second;
  const ClientKey key = c.key;
  host_.connection_ending(key);
  if (c.session->open())
    c.session->close([this, &key](stun::Bytes record) { host_.send_record(key, record); });
  if (log::enabled(log::Level::kVerbose)) {
    log::write(log::Level::kVerbose,
               "DTLS session from " + key.client.to_string() + " closed: " + why);
  }
  by_address_.erase(ClientKey{key.client, key.listener, 0});
  sessions_.erase(key.connection);  // c is gone from here on
  host_.connections_changed();
}

void DtlsClients::close_all(const char* why) {
  while (!sessions_.empty())
    close(sessions_.begin()->first, why);
}

void DtlsClients::sweep(std::uint64_t now) {
  if (secret_)
    secret_->rotate_if_due(now);
  std::vector<std::pair<std::uint32_t, const char*>> ended;
  for (auto& [id, c] : sessions_) {
    DtlsSession& s = *c->session;
    if (!s.handshake_done()) {
      if (now - s.created_ms() > kHandshakeTimeoutMs) {
        ended.emplace_back(id, "handshake not completed in time");
        continue;
      }
      // OpenSSL retransmits the server's flight when its timer is due (RFC 6347 §4.2.4).
      const ClientKey& key = c->key;
      if (!s.handle_timeout([this, &key](stun::Bytes record) { host_.send_record(key, record); }))
        ended.emplace_back(id, "handshake failed");
    } else if (now - c->last_activity_ms > kIdleTimeoutMs && !host_.has_allocation(c->key)) {
      ended.emplace_back(id, "idle without an allocation");
    }
  }
  for (auto& [id, why] : ended) {
    WorkerStats::add(stats_.stream_timeouts);
    close(id, why);
  }
}

}  // namespace turn
