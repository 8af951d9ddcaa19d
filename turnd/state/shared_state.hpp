// What all workers share: the configuration and the few structures that are either read-only
// after start or guarded because they are touched only on the control path.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "alloc/bandwidth_pool.hpp"
#include "alloc/quota.hpp"
#include "auth/authenticator.hpp"
#include "auth/nonce.hpp"
#include "config/config.hpp"
#include "guard/ban_list.hpp"
#include "guard/connection_limiter.hpp"
#include "guard/source_rate_table.hpp"
#include "guard/verified_sources.hpp"
#include "net/peer_policy.hpp"
#include "net/port_pool.hpp"
#include "state/handoff_inbox.hpp"

namespace turn {

struct SharedState {
  /// `startup`: the configuration at start; the port range, nonce lifetime and realm are
  /// fixed from it (they need a restart to change).
  SharedState(const Config& startup, std::shared_ptr<const UserDb> users,
              std::vector<stun::SocketAddress> listeners);

  PortPool ports;
  NonceIssuer nonces;
  Authenticator auth;
  QuotaTracker quota;
  /// The built-in brute-force ban and the per-source auth-failure line limit.
  BanList bans;
  /// unauthorized-ratelimit: error answers to unauthenticated UDP requests, per source...
  SourceRateTable unauthorized_answers;
  /// ...except to sources that recently sent back a nonce of ours (not spoofed).
  VerifiedSources verified_sources;
  /// request-ratelimit-rps: TURN requests per source before authentication.
  SourceRateTable requests;
  /// max-connections-per-source / max-connections.
  ConnectionLimiter connections;
  std::vector<stun::SocketAddress> listener_addresses;
  /// The effective max-bps: the realm option from the user db, else the configuration's.
  /// Read when an allocation is created; written by the control thread.
  std::atomic<std::uint64_t> max_bps{0};
  /// bps-capacity bookkeeping: the bandwidth running allocations have reserved.
  BandwidthPool bandwidth;
  /// SIGUSR1: no new allocations (508, or 300 to an alternate server); existing ones run on
  /// until they end.
  std::atomic<bool> draining{false};
  /// The round robin over the alternate servers (one counter for all lists, as coturn's).
  std::atomic<std::uint64_t> alternate_turn{0};
  /// Every worker's inbox, by index, sized before they start: an RFC 6062 data connection whose
  /// ConnectionBind lands on another worker is posted to the one owning its peer connection.
  HandoffRouter handoffs;
  /// The kernel fast path for bound UDP channels, or null (kernel-offload off or unavailable).
  /// Set before the workers are made; owned by the server, which outlives them.
  FlowOffload* offload = nullptr;

  /// The relay IP for a new allocation of `family`, given the address the request reached
  /// (RFC 8656 §7.2; relay-ip chooses, else the listener's own address).
  std::optional<stun::SocketAddress> relay_ip_for(const Config& config, std::uint8_t family,
                                                  const stun::SocketAddress& listener) const;
  /// XOR-RELAYED-ADDRESS for a bound relay address: its external-ip mapping if any.
  static stun::SocketAddress advertised(const Config& config, const stun::SocketAddress& relay);
};

}  // namespace turn
