// Which relay ports are live relayed transport addresses of this server right now, and on which
// IP each is bound: what the peer policy needs to let two clients of this server reach each
// other (RFC 8656 §2: a peer may itself be a TURN client) without opening the host's other
// services on the same IPs (the loopback relay hole). Written when an allocation's relay socket
// is bound or closed (any worker, control path); read lock-free on the relay path, so a
// permission or channel to one of our relays can be re-checked per packet.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "net/ip_key.hpp"
#include "stun/address.hpp"

namespace turn {

enum class RelayProtocol : std::uint8_t { kUdp = 1, kTcp = 2 };

class LiveRelays {
 public:
  /// For relay ports `min_port`..`max_port` (the pool's range; others are never live).
  explicit LiveRelays(std::uint16_t min_port = 0, std::uint16_t max_port = 65535)
      : min_(min_port),
        count_(max_port >= min_port ? max_port - min_port + 1u : 0u),
        ports_(std::make_unique<Port[]>(count_)) {}

  /// `bound` (ip and port) now carries a live relay of `protocol`.
  void add(const stun::SocketAddress& bound, RelayProtocol protocol) {
    Port* p = slot(bound.port);
    if (p == nullptr)
      return;
    const IpKey ip = IpKey::of(bound);
    p->hi.store(ip.hi, std::memory_order_relaxed);
    p->lo.store(ip.lo, std::memory_order_relaxed);
    p->protocol.store(static_cast<std::uint8_t>(protocol), std::memory_order_release);
  }
  /// The relay on `port` is gone (its allocation ended).
  void remove(std::uint16_t port) {
    if (Port* p = slot(port))
      p->protocol.store(0, std::memory_order_release);
  }

  /// True when `ip`:`port` is a live relay of `protocol`: bound on exactly that IP, or on the
  /// wildcard address of its family (then any address of the host reaches it, which the caller
  /// has checked `ip` to be).
  bool is_live(const stun::SocketAddress& ip, std::uint16_t port, RelayProtocol protocol) const {
    const auto bound = bound_ip(port, protocol);
    if (!bound)
      return false;
    const IpKey peer = IpKey::of(ip);
    return *bound == peer || (bound->is_wildcard() && bound->is_v4() == peer.is_v4());
  }
  /// True when a live relay of `protocol` and of `family` is on `port`, whatever its IP (a bare
  /// external-ip advertises every relay of its family under one public address).
  bool is_live_of_family(std::uint16_t port, RelayProtocol protocol, std::uint8_t family) const {
    const auto bound = bound_ip(port, protocol);
    return bound && bound->is_v4() == (family == stun::kFamilyIpv4);
  }

 private:
  struct Port {
    std::atomic<std::uint8_t> protocol{0};  ///< 0: not a live relay
    std::atomic<std::uint64_t> hi{0};       ///< the bound IP as IPv6 (IPv4 mapped), high half
    std::atomic<std::uint64_t> lo{0};
  };

  /// The IP the live relay of `protocol` on `port` is bound to, if there is one.
  std::optional<IpKey> bound_ip(std::uint16_t port, RelayProtocol protocol) const {
    const Port* p = slot(port);
    if (p == nullptr ||
        p->protocol.load(std::memory_order_acquire) != static_cast<std::uint8_t>(protocol))
      return std::nullopt;
    return IpKey{p->hi.load(std::memory_order_relaxed), p->lo.load(std::memory_order_relaxed)};
  }
  Port* slot(std::uint16_t port) const {
    return port >= min_ && static_cast<std::uint32_t>(port - min_) < count_ ? &ports_[port - min_]
                                                                            : nullptr;
  }

  std::uint16_t min_;
  std::uint32_t count_;
  std::unique_ptr<Port[]> ports_;
};

}  // namespace turn
