// Where the kernel would send a datagram from `source` to `destination`: the route lookup the
// fast path needs at install time (its program cannot ask bpf_fib_lookup on a host that does not
// forward). One RTM_GETROUTE over rtnetlink (rtnetlink(7)).
#pragma once

#include <optional>

#include "stun/address.hpp"

namespace turn {

struct Egress {
  bool local = false;  ///< the destination is this host
  int ifindex = 0;     ///< the device towards it otherwise
};

/// nullopt when there is no route (or rtnetlink cannot be asked).
std::optional<Egress> route_to(const stun::SocketAddress& source,
                               const stun::SocketAddress& destination);

}  // namespace turn
