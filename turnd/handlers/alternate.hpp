// ALTERNATE-SERVER (RFC 8489 §10): which Allocate requests are sent to another server with
// 300 Try Alternate, and to which one. coturn's rules, so a coturn cluster's configuration
// behaves the same: a round robin over the list of the client's transport, restricted to the
// client's address family, and no redirect at all on a node that finds its own listener
// address in the list (coturn: "to prevent indefinite cycle"). turnd adds overflow mode and
// redirects while draining.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "config/config.hpp"
#include "stun/address.hpp"
#include "util/stats.hpp"

namespace turn {

struct Request;

/// The alternates for a client over `transport`: tls-alternate-server for TLS and DTLS,
/// udp-/tcp-alternate-server for UDP and TCP; when that list is empty, alternate-server
/// (coturn falls back to it for every transport).
const std::vector<stun::SocketAddress>& alternates_for(const Config& config,
                                                       ClientTransport transport);

/// True when `a` is one of `own` (this server's listener addresses, IP and port).
bool is_own_address(const stun::SocketAddress& a, std::span<const stun::SocketAddress> own);

/// The next entry of `list` of `family`, taking turns on `turn` (one step per entry looked at,
/// as coturn's counter), never one of `own`; nullopt when there is none.
std::optional<stun::SocketAddress> next_alternate(const std::vector<stun::SocketAddress>& list,
                                                  std::uint8_t family,
                                                  std::span<const stun::SocketAddress> own,
                                                  std::atomic<std::uint64_t>& turn);

/// For an Allocate that passed its checks: answers 300 with ALTERNATE-SERVER (and
/// ALTERNATE-DOMAIN over TLS/DTLS) when this one should be served elsewhere, and returns true.
/// Only authenticated requests are redirected: RFC 8489 §14.8 allows a 300 only in answer to a
/// request with a valid MESSAGE-INTEGRITY, and the 300 must carry one.
bool redirect_allocate(Request& request);

}  // namespace turn
