// What every kind of client connection (TCP/TLS streams, DTLS sessions) needs of the worker that
// owns it: the ingress its messages go to, the allocation that lives and dies with it (RFC 8656
// §3.1), and the connection ids the worker hands out across both kinds.
#pragma once

#include <cstdint>

#include "alloc/allocation.hpp"
#include "stun/bytes.hpp"

namespace turn {

class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  /// A complete message (STUN or ChannelData) from `key`'s connection: into the ingress, as a
  /// datagram would go.
  virtual void deliver(const ClientKey& key, stun::Bytes message) = 0;
  /// The connection of `key` is ending: its allocation ends with it (RFC 8656 §3.1).
  virtual void connection_ending(const ClientKey& key) = 0;
  virtual bool has_allocation(const ClientKey& key) = 0;
  /// A connection id no TCP/TLS connection or DTLS session of the worker uses.
  virtual std::uint32_t new_connection_id() = 0;
  /// A connection was added or removed (the worker's connection gauge).
  virtual void connections_changed() = 0;
};

}  // namespace turn
