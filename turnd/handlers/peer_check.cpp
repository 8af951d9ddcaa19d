#include "handlers/peer_check.hpp"

#include "util/log.hpp"

namespace turn {

std::optional<AcceptedPeer> accepted_peer(Request& r, const Allocation& a,
                                          const stun::AttributeRef& ref) {
  auto peer = r.msg.decode(stun::attr::kXorPeerAddress, ref);
  if (!peer) {
    send_error(r, stun::ErrorCode::kBadRequest);
    return std::nullopt;
  }
  const stun::SocketAddress canonical = peer->unmapped();
  if (!a.serves(canonical.family)) {
    send_error(r, stun::ErrorCode::kPeerAddressFamilyMismatch);
    return std::nullopt;
  }
  const PeerDecision decision =
      r.policy().decide(canonical, a.tcp ? RelayProtocol::kTcp : RelayProtocol::kUdp);
  if (decision == PeerDecision::kDenied) {
    WorkerStats::add(r.ctx.stats().peer_denied);
    if (log::enabled(log::Level::kInfo)) {
      static log::RateLimit limit(20);
      log::write_limited(limit, log::Level::kInfo,
                         "peer denied: client=" + r.client().to_string() +
                             " user=" + log::sanitize(a.user) + " peer=" + canonical.to_string());
    }
    send_error(r, stun::ErrorCode::kForbidden);
    return std::nullopt;
  }
  return AcceptedPeer{canonical, decision == PeerDecision::kOwnRelay};
}

}  // namespace turn
