// RFC 6062 requests: Connect (§5.2) on the control connection and ConnectionBind (§5.4) on a new
// data connection. The connections themselves live in relay/tcp_relay.cpp (TcpRelay).
#include "handlers/peer_check.hpp"
#include "handlers/request.hpp"

namespace turn {

void handle_connect(Request& r) {
  Allocation* a = owned_allocation(r);
  if (a == nullptr)
    return;
  if (!a->tcp) {
    send_error(r, stun::ErrorCode::kBadRequest);  // §5.2: Connect needs a TCP allocation
    return;
  }
  auto peer_ref = r.msg.find(stun::AttrType::kXorPeerAddress);
  if (!peer_ref) {
    send_error(r, stun::ErrorCode::kBadRequest);
    return;
  }
  auto peer = accepted_peer(r, *a, *peer_ref);  // 400/443/403 sent on failure
  if (!peer)
    return;
  if (r.ctx.tcp_relay().has_peer_connection(*a, peer->address)) {
    send_error(r, stun::ErrorCode::kConnectionAlreadyExists);
    return;
  }
  if (a->peer_connections.size() >= r.config().max_tcp_peer_connections) {
    WorkerStats::add(r.ctx.stats().tcp_peer_connections_refused);
    send_error(r, stun::ErrorCode::kInsufficientCapacity);
    return;
  }
  const bool fingerprint = r.msg.fingerprint_offset().has_value();
  if (!r.ctx.tcp_relay().start_peer_connect(*a, peer->address, r.key, r.msg.transaction_id(),
                                            r.auth, fingerprint))
    send_error(r, stun::ErrorCode::kConnectionTimeoutOrFailure);
}

void handle_connection_bind(Request& r) {
  auto id = r.msg.get(stun::attr::kConnectionId);
  // §5.4: only on a TCP/TLS connection that carries no allocation of its own.
  if (!id || !r.ctx.is_stream_client(r.key) || r.ctx.allocations().find(r.key) != nullptr) {
    send_error(r, stun::ErrorCode::kBadRequest);
    return;
  }
  // Last: the connection (and the buffer this request lies in) may move to another worker.
  r.ctx.tcp_relay().bind_data_connection(r.key, *id, r.msg.transaction_id(), r.auth,
                                         r.msg.fingerprint_offset().has_value());
}

}  // namespace turn
