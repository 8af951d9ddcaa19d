// An IP address as one 128-bit value: IPv6 as it is, IPv4 (and IPv4-mapped or -compatible
// IPv6) as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), so the two spellings of one peer are one key.
// What permission tables and the live-relay registry compare; no port.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "stun/address.hpp"

namespace turn {

struct IpKey {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  static IpKey of(const stun::SocketAddress& address) {
    const stun::SocketAddress ip = address.unmapped();
    IpKey k;
    if (ip.is_v4()) {
      k.lo = kV4Mapped | (std::uint64_t{ip.ip[0]} << 24) | (std::uint64_t{ip.ip[1]} << 16) |
             (std::uint64_t{ip.ip[2]} << 8) | ip.ip[3];
      return k;
    }
    for (int i = 0; i < 8; ++i) {
      k.hi = (k.hi << 8) | ip.ip[static_cast<std::size_t>(i)];
      k.lo = (k.lo << 8) | ip.ip[static_cast<std::size_t>(i + 8)];
    }
    return k;
  }

  bool is_v4() const { return hi == 0 && (lo >> 32) == (kV4Mapped >> 32); }
  /// The address again (IPv4 as IPv4), port 0.
  stun::SocketAddress address() const {
    if (is_v4()) {
      return stun::SocketAddress::v4(
          {static_cast<std::uint8_t>(lo >> 24), static_cast<std::uint8_t>(lo >> 16),
           static_cast<std::uint8_t>(lo >> 8), static_cast<std::uint8_t>(lo)},
          0);
    }
    std::array<std::uint8_t, 16> ip{};
    for (int i = 0; i < 8; ++i) {
      ip[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
      ip[static_cast<std::size_t>(i + 8)] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
    }
    return stun::SocketAddress::v6(ip, 0);
  }
  /// 0.0.0.0 or ::.
  bool is_wildcard() const { return hi == 0 && (lo == 0 || lo == kV4Mapped); }
  bool operator==(const IpKey& o) const = default;

  static constexpr std::uint64_t kV4Mapped = std::uint64_t{0xFFFF} << 32;
};

struct IpKeyHash {
  std::size_t operator()(const IpKey& k) const noexcept {
    std::uint64_t z = k.hi * 0x9e3779b97f4a7c15ull ^ k.lo;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<std::size_t>(z ^ (z >> 31));
  }
};

}  // namespace turn
