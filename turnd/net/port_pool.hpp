// The relay port range (min-port..max-port), shared by all workers. Touched only when an
// allocation is created or freed, never per packet, so a mutex is cheap here.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "net/live_relays.hpp"

namespace turn {

class PortPool {
 public:
  PortPool(std::uint16_t min_port, std::uint16_t max_port);

  /// A port drawn uniformly at random from the free ones, with the OS CSPRNG (CVE-2025-69217:
  /// a port an attacker can predict lets it aim at the next client's relay).
  std::optional<std::uint16_t> take();
  /// An even port; with `reserve_next`, port+1 is taken too (RFC 8656 §7.2 EVEN-PORT R bit).
  std::optional<std::uint16_t> take_even(bool reserve_next);
  /// Returns a port to the pool. Ports outside the range are ignored.
  void put(std::uint16_t port);
  std::size_t available() const;

  struct Reservation {
    std::uint16_t port = 0;
    int fd = -1;  ///< the socket already bound to the port (owned by the reservation), or -1
    std::uint64_t expires_s = 0;
  };

  ~PortPool();
  /// RFC 8656 §7.2: keeps `port` (and its bound socket `fd`, if any) aside under a random
  /// token until `expires_s`.
  std::uint64_t reserve(std::uint16_t port, int fd, std::uint64_t expires_s);
  /// The reservation for `token`, which is consumed (the caller now owns its fd); nullopt for an
  /// unknown or expired token.
  std::optional<Reservation> claim(std::uint64_t token, std::uint64_t now_s);
  /// Frees reservations that expired: their sockets are closed and their ports returned.
  void expire_reservations(std::uint64_t now_s);
  /// Frees the reservation behind `token` now (its allocation ended before anyone claimed it):
  /// without this, Allocate EVEN-PORT + Refresh 0 in a loop would hold a port per cycle for
  /// 30 s and drain the pool.
  void cancel_reservation(std::uint64_t token);
  std::size_t reservations() const;

  /// The relay ports in use by live allocations, with the IP each is bound on.
  LiveRelays live;

 private:
  void remove_locked(std::uint16_t port);
  bool is_free_locked(std::uint16_t port) const;

  mutable std::mutex mu_;
  std::uint16_t min_;
  std::uint16_t max_;
  std::vector<std::uint16_t> free_;
  std::vector<std::int32_t> position_;  ///< by port - min_: index in free_, or -1 when taken
  std::unordered_map<std::uint64_t, Reservation> reservations_;
};

}  // namespace turn
