#include "worker/shared_state.hpp"

namespace turn {
namespace {

std::vector<stun::SocketAddress> own_relay_addresses(const Config& c,
                                                     const std::vector<stun::SocketAddress>& ls) {
  std::vector<stun::SocketAddress> own = c.relay_ips.empty() ? ls : c.relay_ips;
  for (auto& a : own)
    a.port = 0;
  for (const auto& e : c.external_ips)
    own.push_back(e.public_ip);
  return own;
}

}  // namespace

SharedState::SharedState(const Config& c, std::shared_ptr<const UserDb> users,
                         std::vector<stun::SocketAddress> listeners)
    : config(c),
      ports(c.min_port, c.max_port),
      nonces(c.stale_nonce),
      auth(c.realm, nonces, std::move(users)),
      quota(c.user_quota, c.total_quota),
      listener_addresses(listeners),
      policy(c, own_relay_addresses(c, listeners), listeners) {}

std::optional<stun::SocketAddress> SharedState::relay_ip_for(
    std::uint8_t family, const stun::SocketAddress& listener) const {
  if (config.relay_ips.empty()) {
    // The address the request reached; for the other family (an IPv6 client asking for the
    // RFC 8656 §7.2 default, IPv4), another listening address of that family, preferring one
    // that is not loopback.
    std::optional<stun::SocketAddress> pick;
    if (listener.family == family) {
      pick = listener;
    } else {
      for (const auto& l : listener_addresses) {
        if (l.family != family)
          continue;
        static constexpr std::array<std::uint8_t, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                                     0, 0, 0, 0, 0, 0, 0, 1};
        const bool loopback = l.is_v4() ? l.ip[0] == 127 : l.ip == kV6Loopback;
        if (!pick || !loopback)
          pick = l;
        if (!loopback)
          break;
      }
    }
    if (pick)
      pick->port = 0;
    return pick;
  }
  for (const auto& ip : config.relay_ips) {
    if (ip.family == family)
      return ip;
  }
  return std::nullopt;
}

stun::SocketAddress SharedState::advertised(const stun::SocketAddress& relay) const {
  for (const auto& e : config.external_ips) {
    // PUBLIC/PRIVATE maps one relay address; a bare PUBLIC applies to its whole family.
    const bool matches =
        e.private_ip ? e.private_ip->same_ip(relay) : e.public_ip.family == relay.family;
    if (matches) {
      stun::SocketAddress a = e.public_ip;
      a.port = relay.port;
      return a;
    }
  }
  return relay;
}

}  // namespace turn
