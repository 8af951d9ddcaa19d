// The host's own addresses, for binding one listener per IP when no listening-ip is given.
#pragma once

#include <vector>

#include "stun/address.hpp"

namespace turn {

/// Every IPv4 and non-link-local IPv6 address of every interface that is up, loopback included.
std::vector<stun::SocketAddress> local_addresses();

}  // namespace turn
