// CreatePermission (RFC 8656 §9): installs or refreshes permissions for one or more peer IPs.
#include "handlers/peer_check.hpp"

namespace turn {

void handle_create_permission(Request& r) {
  Allocation* a = owned_allocation(r);
  if (a == nullptr)
    return;
  // All or nothing: every XOR-PEER-ADDRESS is checked before any permission is installed.
  std::vector<stun::SocketAddress> peers;
  for (const auto& ref : r.msg.attributes()) {
    if (ref.type != static_cast<std::uint16_t>(stun::AttrType::kXorPeerAddress))
      continue;
    auto peer = accepted_peer(r, *a, ref);
    if (!peer)
      return;
    peers.push_back(peer->address);
  }
  if (peers.empty()) {
    send_error(r, stun::ErrorCode::kBadRequest);
    return;
  }
  // RFC 8656 §9.2: a server that cannot install the permissions answers 508.
  if (a->permissions.size() + a->new_permissions(peers) > r.config().max_allocation_permissions) {
    WorkerStats::add(r.ctx.stats().permissions_refused);
    send_error(r, stun::ErrorCode::kInsufficientCapacity);
    return;
  }
  const std::uint64_t expires = r.now_ms() + std::uint64_t{r.config().permission_lifetime} * 1000;
  for (const auto& p : peers)
    r.ctx.allocations().permit(*a, p, expires, r.now_ms());
  Response(r, stun::Class::kSuccess).send();
}

}  // namespace turn
