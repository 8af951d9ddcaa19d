// One TURN allocation (RFC 8656 §2.2): the relayed transport address, its permissions and channel
// bindings. Owned by exactly one worker; nothing here is shared between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "alloc/flow_offload.hpp"
#include "alloc/lease.hpp"
#include "alloc/rate_limiter.hpp"
#include "alloc/relay_binder.hpp"
#include "net/ip_key.hpp"
#include "stun/address.hpp"
#include "stun/types.hpp"
#include "util/stats.hpp"

namespace turn {

/// The client side of the 5-tuple: client address, the listener (local ip:port) it used and,
/// for TCP, TLS and DTLS, the worker's id of the connection (0 for plain UDP).
struct ClientKey {
  stun::SocketAddress client;
  std::uint32_t listener = 0;
  std::uint32_t connection = 0;
  bool operator==(const ClientKey& o) const = default;
};

struct ClientKeyHash {
  std::size_t operator()(const ClientKey& k) const noexcept {
    return (stun::SocketAddressHash{}(k.client) * 31 + k.listener) * 31 + k.connection;
  }
};

/// RFC 8656 §12: a channel binds one number to one peer transport address.
struct ChannelBinding {
  std::uint16_t number = 0;
  stun::SocketAddress peer;
  std::uint64_t expires_ms = 0;
  /// The peer is a live relay of this server (PeerDecision::kOwnRelay): re-checked per packet,
  /// because once that allocation ends the port may belong to any local socket.
  bool own_relay = false;
  /// The kernel fast path's handle of this channel's flow (0: relayed in user space), until
  /// when it was told the flow lasts, and what of its traffic was counted so far
  /// (alloc/channel_offloader.hpp).
  std::uint32_t offload = 0;
  std::uint64_t offload_until_ms = 0;
  FlowCounters offload_seen;
};

/// Why bind_channel() refused (RFC 8656 §11.2).
enum class ChannelBindResult : std::uint8_t {
  kOk,
  kConflict,  ///< the number is bound to another peer or the peer to another number: 400
  kFull,      ///< max-allocation-channels reached: 508
};

class Allocation {
 public:
  ClientKey key;
  stun::SocketAddress listener;    ///< the listener address the client sends to
  stun::SocketAddress relay;       ///< the bound relay address
  stun::SocketAddress advertised;  ///< what XOR-RELAYED-ADDRESS says (external-ip mapped)
  /// RFC 8656 §7.2 dual allocation (ADDITIONAL-ADDRESS-FAMILY): the IPv6 relay beside the IPv4
  /// one, sharing permissions, channels and lifetime; unset (fd -1) otherwise.
  stun::SocketAddress second_relay;
  stun::SocketAddress second_advertised;
  /// Its number in its worker's table, never reused there: the admin API names the session
  /// "<worker>.<serial>".
  std::uint64_t serial = 0;
  std::uint64_t created_ms = 0;
  std::uint64_t expires_ms = 0;
  std::uint32_t lifetime_s = 0;
  std::string user;
  /// The user user-quota counts: for a TURN REST username ("expiry:user") the user, not the
  /// credential, so minting more credentials does not multiply the quota.
  std::string quota_user;
  /// How the client reaches the server, set when the allocation is created (metrics).
  ClientTransport transport = ClientTransport::kUdp;
  bool dont_fragment = false;
  /// RFC 6062: the relay is a listening TCP socket; peers are reached through Connect and
  /// ConnectionAttempt, each peer connection with its CONNECTION-ID listed here.
  bool tcp = false;
  std::vector<std::uint32_t> peer_connections;

  /// RFC 8656 §7.2 EVEN-PORT with R: the token of the port+1 this allocation reserved; the
  /// reservation ends with the allocation if no Allocate claimed it first.
  std::optional<std::uint64_t> reservation_token;
  /// RFC 8656 §7.2: a retransmitted Allocate gets the same response again.
  stun::TransactionId allocate_tid{};
  std::vector<std::uint8_t> allocate_response;

  /// RFC 8656 §9: permissions are per peer IP, ports ignored (IPv4 and IPv4-mapped peers share
  /// one). Peer IP -> expiry (ms). Bounded by max-allocation-permissions: a client cannot grow
  /// it without limit, and the relay path looks a permission up in O(1).
  std::unordered_map<IpKey, std::uint64_t, IpKeyHash> permissions;
  /// By number, and the number by peer, both O(1) (ChannelData and peer datagrams look them up
  /// on every packet). Bounded by max-allocation-channels.
  std::unordered_map<std::uint16_t, ChannelBinding> channels;
  std::unordered_map<stun::SocketAddress, std::uint16_t, stun::SocketAddressHash> channel_numbers;
  Traffic traffic;
  /// max-bps, each direction separately (as coturn counts them).
  RateLimiter client_to_peer_limit;
  RateLimiter peer_to_client_limit;

  /// Kept by AllocationTable: the deadline its expiry heap holds for this allocation (the
  /// earliest of its own expiry and its permissions' and channels'), and where in the heap.
  std::uint64_t scheduled_ms = 0;
  std::uint32_t heap_index = 0;

  // What the allocation holds, given back when it is destroyed (declared last: released
  // first, before the state above that their release may still read).
  Lease quota_slot;   ///< user-quota / total-quota
  Lease bandwidth;    ///< max-bps of bps-capacity
  Lease reservation;  ///< EVEN-PORT R: port+1 (reservation_token), until claimed or ended
  Lease relay_lease;  ///< the relay socket (relay_fd) and its port
  int primary_fd = -1;
  std::unique_ptr<RelaySocket> secondary;  ///< the dual allocation's second relay (rare)

  bool dual() const { return secondary != nullptr; }
  int relay_fd() const { return primary_fd; }
  /// True when peers of `family` can be reached: the relay's family, or either of a dual one.
  bool serves(std::uint8_t family) const {
    return relay.family == family || (dual() && second_relay.family == family);
  }
  /// The relay socket that sends to `peer` (the IPv6 one of a dual allocation for IPv6 peers).
  int relay_fd_for(const stun::SocketAddress& peer) const {
    return dual() && peer.family == second_relay.family ? secondary->fd : primary_fd;
  }
  /// The relay address that sends to `peer` (the same choice as relay_fd_for).
  const stun::SocketAddress& relay_for(const stun::SocketAddress& peer) const {
    return dual() && peer.family == second_relay.family ? second_relay : relay;
  }
  /// The earliest time something of this allocation ends: itself, a permission or a channel.
  std::uint64_t next_deadline() const;

  bool has_permission(const stun::SocketAddress& peer, std::uint64_t now_ms) const;
  /// How many of `peers` have no permission yet (what installing them all would add).
  std::size_t new_permissions(const std::vector<stun::SocketAddress>& peers) const;
  /// Installs or refreshes the permission for the peer's IP. The caller checks the cap first.
  void permit(const stun::SocketAddress& peer, std::uint64_t expires_ms);
  const ChannelBinding* channel_by_number(std::uint16_t number, std::uint64_t now_ms) const;
  const ChannelBinding* channel_by_peer(const stun::SocketAddress& peer,
                                        std::uint64_t now_ms) const;
  /// Binds or refreshes (RFC 8656 §11.3) a channel; at most `max_channels` bindings.
  ChannelBindResult bind_channel(std::uint16_t number, const stun::SocketAddress& peer,
                                 std::uint64_t expires_ms, bool own_relay,
                                 std::size_t max_channels);
  /// Drops expired permissions and channels (RFC 8656 §9, §12).
  void expire(std::uint64_t now_ms);
};

}  // namespace turn
