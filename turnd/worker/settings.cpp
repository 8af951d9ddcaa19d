#include "worker/settings.hpp"

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

Settings::Settings(Config c, const std::vector<stun::SocketAddress>& listeners, TlsContextPtr t)
    : config(std::move(c)),
      policy(config, own_relay_addresses(config, listeners), listeners),
      tls(std::move(t)) {}

}  // namespace turn
