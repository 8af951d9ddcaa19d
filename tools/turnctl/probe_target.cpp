#include "probe_target.hpp"

#include <algorithm>

namespace turnctl {

ProbeTarget probe_target(const turn::Config& config) {
  ProbeTarget target;
  target.transport = config.no_udp ? ProbeTransport::kTcp : ProbeTransport::kUdp;
  stun::SocketAddress ip = stun::SocketAddress::v4({127, 0, 0, 1}, 0);
  if (!config.listening_ips.empty()) {
    ip = config.listening_ips.front();
    const auto bytes = ip.ip_bytes();
    const bool wildcard = std::all_of(bytes.begin(), bytes.end(), [](auto b) { return b == 0; });
    if (wildcard && ip.is_v6()) {
      std::array<std::uint8_t, 16> loopback{};
      loopback[15] = 1;
      ip = stun::SocketAddress::v6(loopback, 0);
    } else if (wildcard) {
      ip = stun::SocketAddress::v4({127, 0, 0, 1}, 0);
    }
  }
  ip.port = config.listening_port;
  target.address = ip;
  return target;
}

}  // namespace turnctl
