// Which peers an allocation may reach (RFC 8656 §7.3 leaves policy to the server; CVE-2020-26262,
// CVE-2026-27624/53450 show why the defaults must be strict and addresses canonicalised).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "stun/address.hpp"

namespace turn {

class PeerPolicy {
 public:
  /// `own_relays`: turnd's relay and external addresses (always reachable, so two clients of
  /// this server can talk). `own_listeners`: turnd's listening ip:port (never reachable).
  PeerPolicy(const Config& config, std::vector<stun::SocketAddress> own_relays,
             std::vector<stun::SocketAddress> own_listeners);

  /// Decides for a peer address (port matters only for the listener check).
  bool allowed(const stun::SocketAddress& peer) const;

  /// One line per rule, for the startup log.
  std::vector<std::string> describe() const;

 private:
  std::vector<AddressRange> allowed_;
  std::vector<AddressRange> denied_;
  std::vector<AddressRange> builtin_denied_;
  std::vector<AddressRange> loopback_;
  bool allow_loopback_;
  std::uint16_t min_relay_port_;
  std::uint16_t max_relay_port_;
  std::vector<stun::SocketAddress> own_relays_;
  std::vector<stun::SocketAddress> own_listeners_;
};

}  // namespace turn
