// The checks every request naming a peer shares (RFC 8656 §9.1, §11.2).
#pragma once

#include "handlers/request.hpp"

namespace turn {

/// Decodes one XOR-PEER-ADDRESS and checks family and policy. Sends 400 / 443 / 403 and returns
/// nullopt when the peer is not acceptable.
std::optional<stun::SocketAddress> accepted_peer(Request& r, const Allocation& a,
                                                 const stun::AttributeRef& ref);

}  // namespace turn
