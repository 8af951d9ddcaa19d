// What a request handler and the relay path may use of the worker they run on: its allocation
// table, its clock, its settings and shared state, its counters, and sending. Nothing else of
// the worker (loop, sockets, connections) is reachable, so a handler can be driven by a fake
// context in a unit test, without sockets or sleeps (tests/turnd/handlers/fake_context.hpp).
#pragma once

#include <cstdint>

#include "alloc/allocation_table.hpp"
#include "auth/authenticator.hpp"
#include "state/settings.hpp"
#include "state/shared_state.hpp"
#include "stun/bytes.hpp"
#include "stun/types.hpp"
#include "util/stats.hpp"

namespace turn {

/// RFC 6062 as a handler sees it: the connections themselves belong to the worker's TCP relay.
class TcpRelayControl {
 public:
  virtual ~TcpRelayControl() = default;
  /// True when `a` already has a connection to `peer` (§5.2: 446).
  virtual bool has_peer_connection(const Allocation& a, const stun::SocketAddress& peer) const = 0;
  /// §5.2 Connect: starts connecting from the relayed address to `peer`; the answer (success
  /// with CONNECTION-ID, or 447) is sent when the connection completes or fails. False when the
  /// connection cannot even be started (the caller answers 447).
  virtual bool start_peer_connect(Allocation& a, const stun::SocketAddress& peer,
                                  const ClientKey& control, const stun::TransactionId& tid,
                                  const AuthOutcome& auth, bool fingerprint) = 0;
  /// §5.4 ConnectionBind, authenticated, received on stream `key`: the data connection goes to
  /// the worker owning `connection_id` (possibly this one), which answers it.
  virtual void bind_data_connection(const ClientKey& key, std::uint32_t connection_id,
                                    const stun::TransactionId& tid, const AuthOutcome& auth,
                                    bool fingerprint) = 0;
};

class TurnContext {
 public:
  virtual ~TurnContext() = default;

  /// The loop's monotonic clock in ms: lifetimes, permissions, channels, bandwidth budgets.
  virtual std::uint64_t now_ms() const = 0;
  /// Wall-clock seconds: nonces, bans and per-source rate windows, which all workers share.
  virtual std::uint64_t wall_s() const = 0;
  virtual unsigned worker_index() const = 0;
  virtual const Settings& settings() const = 0;
  virtual SharedState& shared() = 0;
  virtual WorkerStats& stats() = 0;
  virtual AllocationTable& allocations() = 0;
  virtual TcpRelayControl& tcp_relay() = 0;

  /// The local address of listener `index` (what the client sent to).
  virtual const stun::SocketAddress& listener_address(std::uint32_t index) const = 0;
  /// UDP, TCP, TLS or DTLS: how the client of `key` reaches this server.
  virtual ClientTransport transport_of(const ClientKey& key) const = 0;
  const char* transport_name(const ClientKey& key) const {
    return client_transport_name(transport_of(key));
  }
  /// True when the client is connected over TCP or TLS.
  virtual bool is_stream_client(const ClientKey& key) const = 0;
  /// True (and counted) when `source` is banned by the built-in brute-force ban.
  virtual bool source_banned(const stun::SocketAddress& source) = 0;

  /// A buffer for building one response; valid until the next call.
  virtual stun::MutableBytes tx_buffer() = 0;
  /// A response, sent now (over a stream: queued on the connection).
  virtual void send_to_client(const ClientKey& key, stun::Bytes message) = 0;
  /// Relayed data towards the client: queued and sent in batches once per loop iteration;
  /// `datagram` must stay valid until then (it lies in the receive batch).
  virtual void relay_to_client(const ClientKey& key, stun::Bytes datagram) = 0;
  /// Relayed data towards a peer, from `a`'s relay of the peer's family; queued likewise.
  virtual void relay_to_peer(const Allocation& a, const stun::SocketAddress& peer,
                             stun::Bytes datagram) = 0;

  const Config& config() const { return settings().config; }
};

}  // namespace turn
