// The kernel fast path as the allocation table sees it (offload/kernel_offload.hpp implements
// it): a bound channel of a UDP client to a permitted UDP peer, handed to the kernel to relay
// both ways (RFC 8656 §12), and the packets and bytes it relayed for it. Thread-safe: every
// worker's table installs and removes its own flows.
#pragma once

#include <cstdint>

#include "alloc/traffic.hpp"
#include "stun/address.hpp"

namespace turn {

struct OffloadFlow {
  stun::SocketAddress client;    ///< the client's address and port
  stun::SocketAddress listener;  ///< the listener address and port the client sends to
  stun::SocketAddress relay;     ///< the relay address and port the peer sends to
  stun::SocketAddress peer;
  std::uint16_t channel = 0;
  /// The peer is one of this server's relays: the kernel relays only straight on to that
  /// relay's client, through its own offloaded channel back (flow_maps.h TURND_FLOW_OWN_RELAY).
  bool own_relay = false;
  /// The loop clock (CLOCK_MONOTONIC ms) at which the channel, its permission or the allocation
  /// ends, whichever is first: the kernel stops by itself then, even if never told.
  std::uint64_t expires_ms = 0;
};

/// What the kernel relayed for one flow since it was installed.
using FlowCounters = Traffic;

class FlowOffload {
 public:
  virtual ~FlowOffload() = default;
  /// Installs `flow`; a nonzero handle, or 0 when it cannot (the flow stays in user space).
  virtual std::uint32_t install(const OffloadFlow& flow) = 0;
  /// The flow of `handle` is refreshed: its new end.
  virtual void extend(std::uint32_t handle, std::uint64_t expires_ms) = 0;
  /// Removes the flow: from the return on, the kernel relays nothing more for it. What it
  /// relayed in all, its last packets included.
  virtual FlowCounters remove(std::uint32_t handle) = 0;
  virtual FlowCounters counters(std::uint32_t handle) const = 0;
};

}  // namespace turn
