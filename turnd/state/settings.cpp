#include "state/settings.hpp"

#include <algorithm>

#include "net/local_addresses.hpp"

namespace turn {

namespace {

OwnAddresses own_addresses(const Config& c, const std::vector<stun::SocketAddress>& listeners) {
  OwnAddresses own;
  own.host_ips = local_addresses();
  for (const auto* list : {&listeners, &c.relay_ips}) {
    for (auto a : *list) {
      a.port = 0;
      own.host_ips.push_back(a);
    }
  }
  own.external = c.external_ips;
  auto add_port = [&own](std::uint16_t p) {
    if (p != 0 && std::find(own.service_ports.begin(), own.service_ports.end(), p) ==
                      own.service_ports.end()) {
      own.service_ports.push_back(p);
    }
  };
  for (const auto& l : listeners)
    add_port(l.port);
  if (c.prometheus)
    add_port(c.prometheus_port);
  return own;
}

}  // namespace

Settings::Settings(Config c, const std::vector<stun::SocketAddress>& listeners,
                   const LiveRelays* live, TlsContextPtr t)
    : config(std::move(c)),
      policy(config, own_addresses(config, listeners), live),
      tls(std::move(t)) {}

}  // namespace turn
