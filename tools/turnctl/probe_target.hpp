// Where `turnctl probe` asks: the first address and port turnd listens on, by its configuration.
#pragma once

#include "config/config.hpp"
#include "stun/address.hpp"
#include "stun_probe.hpp"

namespace turnctl {

struct ProbeTarget {
  stun::SocketAddress address;
  ProbeTransport transport = ProbeTransport::kUdp;
};

/// Where a local client reaches a listener bound to `ip`: `ip` itself, or loopback of its
/// family when it is a wildcard (0.0.0.0, ::).
stun::SocketAddress connectable(const stun::SocketAddress& ip);

/// listening-port on the first listening-ip; a wildcard or no listening-ip (every local address)
/// is asked on loopback of its family. UDP, unless the config says no-udp: then TCP.
ProbeTarget probe_target(const turn::Config& config);

}  // namespace turnctl
