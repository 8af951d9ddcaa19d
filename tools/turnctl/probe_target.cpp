#include "probe_target.hpp"

#include <algorithm>

namespace turnctl {

stun::SocketAddress connectable(const stun::SocketAddress& ip) {
  const auto bytes = ip.ip_bytes();
  const bool wildcard = std::all_of(bytes.begin(), bytes.end(), [](auto b) { return b == 0; });
  if (!wildcard)
    return ip;
  if (ip.is_v6()) {
    std::array<std::uint8_t, 16> loopback{};
    loopback[15] = 1;
    return stun::SocketAddress::v6(loopback, ip.port);
  }
  return stun::SocketAddress::v4({127, 0, 0, 1}, ip.port);
}

ProbeTarget probe_target(const turn::Config& config) {
  ProbeTarget target;
  target.transport = config.no_udp ? ProbeTransport::kTcp : ProbeTransport::kUdp;
  stun::SocketAddress ip = stun::SocketAddress::v4({127, 0, 0, 1}, 0);
  if (!config.listening_ips.empty())
    ip = connectable(config.listening_ips.front());
  ip.port = config.listening_port;
  target.address = ip;
  return target;
}

}  // namespace turnctl
