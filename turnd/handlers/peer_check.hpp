// The checks every request naming a peer shares (RFC 8656 §9.1, §11.2).
#pragma once

#include "handlers/request.hpp"

namespace turn {

struct AcceptedPeer {
  stun::SocketAddress address;  ///< canonical (IPv4-mapped IPv6 as IPv4)
  bool own_relay = false;       ///< one of this server's live relays: re-check per packet
};

/// Decodes one XOR-PEER-ADDRESS and checks family and policy (over TCP for a TCP allocation's
/// RFC 6062 peers). Sends 400 / 443 / 403 and returns nullopt when the peer is not acceptable.
std::optional<AcceptedPeer> accepted_peer(Request& r, const Allocation& a,
                                          const stun::AttributeRef& ref);

}  // namespace turn
