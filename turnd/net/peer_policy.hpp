// Which peers an allocation may reach (RFC 8656 §7.3 leaves policy to the server; CVE-2020-26262,
// CVE-2026-27624/53450 show why the defaults must be strict and addresses canonicalised).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/live_relays.hpp"
#include "stun/address.hpp"

namespace turn {

/// What the policy needs to know about this host.
struct OwnAddresses {
  /// Every unicast address of this host: its interfaces (loopback included), the listening and
  /// relay IPs. Wildcards never appear here.
  std::vector<stun::SocketAddress> host_ips;
  /// external-ip: public addresses that lead to this host (a 1:1 NAT forwards every port).
  std::vector<ExternalMapping> external;
  /// The ports of turnd's own services (listeners, metrics): never a peer on any own address.
  std::vector<std::uint16_t> service_ports;
};

enum class PeerDecision : std::uint8_t {
  kDenied,
  kAllowed,
  /// Allowed because it is a live relayed address of this server. Relaying to it stays safe only
  /// while that relay lives, so such channels and permissions are re-checked per packet.
  kOwnRelay,
};

class PeerPolicy {
 public:
  /// `live`: the server's live relay ports (outlives the policy); null allows no own relay.
  PeerPolicy(const Config& config, OwnAddresses own, const LiveRelays* live);

  /// Decides for a peer transport address reached over `protocol` (UDP for CreatePermission,
  /// ChannelBind and Send; TCP for RFC 6062 Connect and incoming peer connections).
  PeerDecision decide(const stun::SocketAddress& peer, RelayProtocol protocol) const;
  bool allowed(const stun::SocketAddress& peer,
               RelayProtocol protocol = RelayProtocol::kUdp) const {
    return decide(peer, protocol) != PeerDecision::kDenied;
  }
  /// For a peer that decide() called kOwnRelay: whether it still is a live relay (per packet).
  bool still_own_relay(const stun::SocketAddress& peer, RelayProtocol protocol) const {
    return is_live_relay(peer.unmapped(), protocol);
  }

  /// One line per rule, for the startup log.
  std::vector<std::string> describe() const;

 private:
  bool is_own_ip(const stun::SocketAddress& ip) const;
  bool is_live_relay(const stun::SocketAddress& peer, RelayProtocol protocol) const;

  std::vector<AddressRange> allowed_;
  std::vector<AddressRange> denied_;
  std::vector<AddressRange> builtin_denied_;
  std::vector<AddressRange> loopback_;
  bool allow_loopback_;
  OwnAddresses own_;
  const LiveRelays* live_;
};

}  // namespace turn
