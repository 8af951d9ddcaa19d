// SocketAddress: an IPv4 or IPv6 address and port as a trivially copyable value type.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stun/types.hpp"

namespace stun {

struct SocketAddress {
  std::uint8_t family = 0;  ///< kFamilyIpv4, kFamilyIpv6, or 0 for "none"
  std::uint16_t port = 0;
  std::array<std::uint8_t, 16> ip{};  ///< network byte order; IPv4 uses the first 4 bytes

  static SocketAddress v4(std::array<std::uint8_t, 4> ip, std::uint16_t port);
  static SocketAddress v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port);
  /// "1.2.3.4", "1.2.3.4:5", "::1", "[::1]:5". The port is 0 when not given.
  static std::optional<SocketAddress> parse(std::string_view text);
  /// Parses an address without a port ("1.2.3.4", "::1"); rejects anything else.
  static std::optional<SocketAddress> parse_ip(std::string_view text);
  static std::optional<SocketAddress> from_sockaddr(const sockaddr* sa);

  bool is_v4() const { return family == kFamilyIpv4; }
  bool is_v6() const { return family == kFamilyIpv6; }
  bool empty() const { return family == 0; }
  std::size_t ip_size() const { return is_v4() ? 4 : 16; }
  std::span<const std::uint8_t> ip_bytes() const { return {ip.data(), ip_size()}; }

  /// Fills `out` and returns the length to pass to the kernel.
  socklen_t to_sockaddr(sockaddr_storage& out) const;
  /// "1.2.3.4:5" or "[::1]:5"; allocates, for logs and tests only.
  std::string to_string() const;
  std::string ip_string() const;

  /// True when both carry the same family and IP (ports ignored).
  bool same_ip(const SocketAddress& o) const;
  /// An IPv4-mapped (::ffff:a.b.c.d) or -compatible (::a.b.c.d) IPv6 address as IPv4; any other
  /// address unchanged. Peer checks run on this form (CVE-2026-27624).
  SocketAddress unmapped() const;

  bool operator==(const SocketAddress& o) const;
};

struct SocketAddressHash {
  std::size_t operator()(const SocketAddress& a) const noexcept;
};

}  // namespace stun
