// The unit every per-source defence counts by (bans, 401 and request rate limits, connection
// caps): an IPv4 address, or the /64 prefix of an IPv6 address. One IPv6 host usually owns a
// whole /64 (RFC 4291 §2.5.1 interface identifiers), so keying by the full address would give an
// attacker 2^64 fresh budgets; an IPv4-mapped address counts as its IPv4 address.
#pragma once

#include <cstdint>

#include "net/ip_key.hpp"
#include "stun/address.hpp"

namespace turn {

struct SourceKey {
  /// IPv6: the first 64 bits; IPv4: the address under ffff:ffff::/32, a multicast prefix that
  /// is never the source of a datagram, so the two families cannot collide.
  std::uint64_t value = 0;

  static SourceKey of(const stun::SocketAddress& address) {
    const IpKey ip = IpKey::of(address);
    return SourceKey{ip.is_v4() ? (std::uint64_t{0xFFFFFFFF} << 32) | (ip.lo & 0xFFFFFFFF) : ip.hi};
  }

  /// A well-mixed 64-bit hash (splitmix64's finaliser), for direct-mapped tables.
  std::uint64_t hash() const {
    std::uint64_t z = value + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  bool operator==(const SourceKey& o) const = default;
};

struct SourceKeyHash {
  std::size_t operator()(const SourceKey& k) const noexcept { return k.hash(); }
};

}  // namespace turn
