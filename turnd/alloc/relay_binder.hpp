// Where an allocation's relay sockets come from. The worker binds real sockets and watches them
// on its loop; a handler test binds nothing. The table asks through this interface and keeps what
// it gets as a lease of the allocation.
#pragma once

#include <cstdint>
#include <optional>

#include "alloc/lease.hpp"
#include "stun/address.hpp"

namespace turn {

class Allocation;

/// How the relay port is chosen (RFC 8656 §7.2), and how its socket is set up.
struct PortRequest {
  bool even = false;
  bool reserve_next = false;
  std::optional<std::uint64_t> reservation_token;
  bool dont_fragment = false;  ///< DONT-FRAGMENT (§7.2): the relay sets DF on what it sends
};

/// A bound relay socket. `lease` closes it and gives its port back to the pool (after the loop
/// let go of it); `reservation` holds the EVEN-PORT R port+1 this bind reserved, if any.
struct RelaySocket {
  int fd = -1;
  stun::SocketAddress address;
  Lease lease;
  std::optional<std::uint64_t> reservation_token;
  Lease reservation;
};

class RelayBinder {
 public:
  virtual ~RelayBinder() = default;
  /// A UDP relay on `ip` for `owner`, whose datagrams from peers are handed to it; nullopt when
  /// no port could be bound or the reservation token is unknown (508).
  virtual std::optional<RelaySocket> open_udp(Allocation& owner, const stun::SocketAddress& ip,
                                              const PortRequest& ports) = 0;
  /// RFC 6062 §5.1: a TCP socket listening for peers on `ip`; nullopt when none could be bound.
  virtual std::optional<RelaySocket> open_tcp(Allocation& owner, const stun::SocketAddress& ip) = 0;
};

}  // namespace turn
