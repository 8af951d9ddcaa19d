#include "alloc/allocation.hpp"

#include <algorithm>

namespace turn {

bool Allocation::has_permission(const stun::SocketAddress& peer, std::uint64_t now_ms) const {
  auto it = permissions.find(IpKey::of(peer));
  return it != permissions.end() && it->second > now_ms;
}

std::size_t Allocation::new_permissions(const std::vector<stun::SocketAddress>& peers) const {
  std::vector<IpKey> fresh;
  for (const auto& p : peers) {
    const IpKey k = IpKey::of(p);
    if (permissions.count(k) == 0 && std::find(fresh.begin(), fresh.end(), k) == fresh.end())
      fresh.push_back(k);
  }
  return fresh.size();
}

void Allocation::permit(const stun::SocketAddress& peer, std::uint64_t expires) {
  permissions[IpKey::of(peer)] = expires;
}

const ChannelBinding* Allocation::channel_by_number(std::uint16_t number,
                                                    std::uint64_t now_ms) const {
  auto it = channels.find(number);
  return it != channels.end() && it->second.expires_ms > now_ms ? &it->second : nullptr;
}

const ChannelBinding* Allocation::channel_by_peer(const stun::SocketAddress& peer,
                                                  std::uint64_t now_ms) const {
  auto it = channel_numbers.find(peer);
  return it == channel_numbers.end() ? nullptr : channel_by_number(it->second, now_ms);
}

ChannelBindResult Allocation::bind_channel(std::uint16_t number, const stun::SocketAddress& peer,
                                           std::uint64_t expires, bool own_relay,
                                           std::size_t max_channels) {
  auto by_number = channels.find(number);
  auto by_peer = channel_numbers.find(peer);
  if (by_number != channels.end() || by_peer != channel_numbers.end()) {
    // RFC 8656 §11.2: the same pair again refreshes it (§11.3); any other overlap is 400.
    if (by_number == channels.end() || by_peer == channel_numbers.end() ||
        by_peer->second != number) {
      return ChannelBindResult::kConflict;
    }
    by_number->second.expires_ms = expires;
    by_number->second.own_relay = own_relay;
    return ChannelBindResult::kOk;
  }
  if (channels.size() >= max_channels)
    return ChannelBindResult::kFull;
  channels.emplace(number, ChannelBinding{number, peer, expires, own_relay, 0, 0, {}});
  channel_numbers.emplace(peer, number);
  return ChannelBindResult::kOk;
}

std::uint64_t Allocation::next_deadline() const {
  std::uint64_t next = expires_ms;
  for (const auto& [ip, expires] : permissions)
    next = std::min(next, expires);
  for (const auto& [number, channel] : channels)
    next = std::min(next, channel.expires_ms);
  return next;
}

void Allocation::expire(std::uint64_t now_ms) {
  std::erase_if(permissions, [now_ms](const auto& p) { return p.second <= now_ms; });
  for (auto it = channels.begin(); it != channels.end();) {
    if (it->second.expires_ms <= now_ms) {
      channel_numbers.erase(it->second.peer);
      it = channels.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace turn
