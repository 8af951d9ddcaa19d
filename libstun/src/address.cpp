#include "stun/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace stun {

SocketAddress SocketAddress::v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) {
  SocketAddress a;
  a.family = kFamilyIpv4;
  a.port = port;
  std::memcpy(a.ip.data(), ip.data(), 4);
  return a;
}

SocketAddress SocketAddress::v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port) {
  SocketAddress a;
  a.family = kFamilyIpv6;
  a.port = port;
  a.ip = ip;
  return a;
}

std::optional<SocketAddress> SocketAddress::parse_ip(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  // inet_pton stops at a NUL, so "1.2.3.4\0junk" would otherwise parse as 1.2.3.4.
  if (text.empty() || text.size() >= sizeof(buf) || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  SocketAddress a;
  if (inet_pton(AF_INET, buf, a.ip.data()) == 1) {
    a.family = kFamilyIpv4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.ip.data()) == 1) {
    a.family = kFamilyIpv6;
    return a;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
  std::string_view host = text;
  std::string_view port_text;
  bool has_port = false;  // a separating colon was given, so a port must follow it
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::nullopt;
      port_text = rest.substr(1);
      has_port = true;
    }
  } else if (const auto colon = text.find(':');
             colon != std::string_view::npos &&
             text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);  // exactly one colon: IPv4 with port
    port_text = text.substr(colon + 1);
    has_port = true;
  }
  auto a = parse_ip(host);
  if (!a)
    return std::nullopt;
  if (has_port) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
      return std::nullopt;
    }
    a->port = static_cast<std::uint16_t>(port);
  }
  return a;
}

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* sa) {
  if (sa == nullptr)
    return std::nullopt;
  SocketAddress a;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    a.family = kFamilyIpv4;
    a.port = ntohs(in->sin_port);
    std::memcpy(a.ip.data(), &in->sin_addr, 4);
    return a;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    a.family = kFamilyIpv6;
    a.port = ntohs(in6->sin6_port);
    std::memcpy(a.ip.data(), &in6->sin6_addr, 16);
    return a;
  }
  return std::nullopt;
}

socklen_t SocketAddress::to_sockaddr(sockaddr_storage& out) const {
  // Only the bytes the kernel reads are cleared: this runs once per relayed datagram.
  if (is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out);
    std::memset(in, 0, sizeof(*in));
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, ip.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
  std::memset(in6, 0, sizeof(*in6));
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  std::memcpy(&in6->sin6_addr, ip.data(), 16);
  return sizeof(sockaddr_in6);
}

std::string SocketAddress::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (empty())
    return "-";
  inet_ntop(is_v4() ? AF_INET : AF_INET6, ip.data(), buf, sizeof(buf));
  return buf;
}

std::string SocketAddress::to_string() const {
  if (is_v6())
    return "[" + ip_string() + "]:" + std::to_string(port);
  return ip_string() + ":" + std::to_string(port);
}

bool SocketAddress::same_ip(const SocketAddress& o) const {
  return family == o.family && std::memcmp(ip.data(), o.ip.data(), ip_size()) == 0;
}

SocketAddress SocketAddress::unmapped() const {
  if (!is_v6())
    return *this;
  static constexpr std::uint8_t kZero[10] = {};
  if (std::memcmp(ip.data(), kZero, 10) != 0)
    return *this;
  const bool mapped = ip[10] == 0xFF && ip[11] == 0xFF;
  // :: and ::1 lie in the IPv4-compatible range but are the IPv6 unspecified and loopback
  // addresses (RFC 4291 §2.5.2-§2.5.3), not 0.0.0.0 and 0.0.0.1: a loopback check must still see
  // ::1.
  const bool unspecified_or_loopback =
      ip[12] == 0 && ip[13] == 0 && ip[14] == 0 && (ip[15] == 0 || ip[15] == 1);
  const bool compatible = ip[10] == 0 && ip[11] == 0 && !unspecified_or_loopback;
  if (!mapped && !compatible)
    return *this;
  return v4({ip[12], ip[13], ip[14], ip[15]}, port);
}

bool SocketAddress::operator==(const SocketAddress& o) const {
  return family == o.family && port == o.port &&
         std::memcmp(ip.data(), o.ip.data(), ip_size()) == 0;
}

std::size_t SocketAddressHash::operator()(const SocketAddress& a) const noexcept {
  // FNV-1a over the meaningful bytes; cheap and good enough for per-worker tables.
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  mix(a.family);
  mix(static_cast<std::uint8_t>(a.port >> 8));
  mix(static_cast<std::uint8_t>(a.port));
  for (std::size_t i = 0; i < a.ip_size(); ++i)
    mix(a.ip[i]);
  return static_cast<std::size_t>(h);
}

}  // namespace stun
