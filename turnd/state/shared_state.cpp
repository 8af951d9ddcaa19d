#include "state/shared_state.hpp"

namespace turn {

SharedState::SharedState(const Config& startup, std::shared_ptr<const UserDb> users,
                         std::vector<stun::SocketAddress> listeners)
    : ports(startup.min_port, startup.max_port),
      nonces(startup.stale_nonce),
      auth(startup.realm, nonces, std::move(users)),
      quota(startup.user_quota, startup.total_quota),
      bans(BanPolicy::from(startup)),
      listener_addresses(std::move(listeners)) {}

std::optional<stun::SocketAddress> SharedState::relay_ip_for(
    const Config& config, std::uint8_t family, const stun::SocketAddress& listener) const {
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

stun::SocketAddress SharedState::advertised(const Config& config,
                                            const stun::SocketAddress& relay) {
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
