#include "alloc/allocation.hpp"

#include <algorithm>

namespace turn {

bool Allocation::has_permission(const stun::SocketAddress& peer, std::uint64_t now_ms) const {
  const auto ip = peer.unmapped();
  for (const auto& p : permissions) {
    if (p.ip.same_ip(ip))
      return p.expires_ms > now_ms;
  }
  return false;
}

void Allocation::permit(const stun::SocketAddress& peer, std::uint64_t expires) {
  const auto ip = peer.unmapped();
  for (auto& p : permissions) {
    if (p.ip.same_ip(ip)) {
      p.expires_ms = expires;
      return;
    }
  }
  permissions.push_back({ip, expires});
}

const ChannelBinding* Allocation::channel_by_number(std::uint16_t number,
                                                    std::uint64_t now_ms) const {
  for (const auto& c : channels) {
    if (c.number == number)
      return c.expires_ms > now_ms ? &c : nullptr;
  }
  return nullptr;
}

const ChannelBinding* Allocation::channel_by_peer(const stun::SocketAddress& peer,
                                                  std::uint64_t now_ms) const {
  for (const auto& c : channels) {
    if (c.peer == peer)
      return c.expires_ms > now_ms ? &c : nullptr;
  }
  return nullptr;
}

bool Allocation::bind_channel(std::uint16_t number, const stun::SocketAddress& peer,
                              std::uint64_t expires) {
  for (auto& c : channels) {
    const bool same_number = c.number == number;
    const bool same_peer = c.peer == peer;
    if (same_number && same_peer) {
      c.expires_ms = expires;  // refresh (RFC 8656 §11.3)
      return true;
    }
    if (same_number || same_peer)
      return false;
  }
  channels.push_back({number, peer, expires});
  return true;
}

void Allocation::expire(std::uint64_t now_ms) {
  std::erase_if(permissions, [now_ms](const Permission& p) { return p.expires_ms <= now_ms; });
  std::erase_if(channels, [now_ms](const ChannelBinding& c) { return c.expires_ms <= now_ms; });
}

}  // namespace turn
