// ChannelBind (RFC 8656 §11): binds a channel number to a peer and refreshes its permission.
#include "handlers/peer_check.hpp"
#include "stun/channel_data.hpp"

namespace turn {

void handle_channel_bind(Request& r) {
  Allocation* a = owned_allocation(r);
  if (a == nullptr)
    return;
  auto channel = r.msg.get(stun::attr::kChannelNumber);
  auto peer_ref = r.msg.find(stun::AttrType::kXorPeerAddress);
  // RFC 6062 §5.1: a TCP allocation has no channels.
  if (a->tcp || !channel || !peer_ref ||
      !stun::is_valid_channel(*channel, r.config().max_channel())) {
    send_error(r, stun::ErrorCode::kBadRequest);
    return;
  }
  auto peer = accepted_peer(r, *a, *peer_ref);
  if (!peer)
    return;
  const Config& config = r.config();
  const std::uint64_t now = r.now_ms();
  // The binding installs a permission too (§11.2): both must fit before either changes.
  if (a->permissions.size() + a->new_permissions({peer->address}) >
      config.max_allocation_permissions) {
    WorkerStats::add(r.ctx.stats().permissions_refused);
    send_error(r, stun::ErrorCode::kInsufficientCapacity);
    return;
  }
  AllocationTable& table = r.ctx.allocations();
  switch (table.bind_channel(*a, *channel, peer->address,
                             now + std::uint64_t{config.channel_lifetime} * 1000, peer->own_relay,
                             config.max_allocation_channels, now)) {
    case ChannelBindResult::kOk:
      break;
    case ChannelBindResult::kConflict:
      // RFC 8656 §11.2: a number bound to another peer, or a peer bound to another number.
      send_error(r, stun::ErrorCode::kBadRequest);
      return;
    case ChannelBindResult::kFull:
      WorkerStats::add(r.ctx.stats().channels_refused);
      send_error(r, stun::ErrorCode::kInsufficientCapacity);
      return;
  }
  table.permit(*a, peer->address, now + std::uint64_t{config.permission_lifetime} * 1000, now);
  Response(r, stun::Class::kSuccess).send();
}

}  // namespace turn
