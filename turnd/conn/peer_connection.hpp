// RFC 6062 TCP relaying: one TCP connection between an allocation's relayed transport address and
// a peer, opened by Connect (§5.2) or accepted from the peer (§5.3), and spliced to the client's
// data connection by ConnectionBind (§5.4). Owned by the worker of its allocation; freed in the
// poll handle's close callback.
#pragma once

#include <uv.h>

#include <cstdint>

#include "alloc/allocation.hpp"
#include "auth/authenticator.hpp"
#include "net/stream_connection.hpp"
#include "net/uv_handle.hpp"
#include "stun/types.hpp"

namespace turn {

struct StreamClient;

struct PeerConnection {
  enum class State : std::uint8_t {
    kConnecting,    ///< Connect: the TCP handshake to the peer is under way
    kAwaitingBind,  ///< connected; waiting for the client's ConnectionBind (30 s, §5.2/§5.3)
    kBound,         ///< spliced to the client's data connection
  };

  PeerConnection(int fd, void* owner_relay) : conn(fd), owner(owner_relay) {}

  uv_poll_t poll{};
  StreamConnection conn;  ///< plain TCP to the peer; its buffers carry the spliced bytes
  void* owner;            ///< the TcpRelay that polls it (only its callbacks read it)
  std::uint32_t id = 0;   ///< CONNECTION-ID (§6.2.1): the owning worker's index in the top byte
  Allocation* allocation = nullptr;  ///< null once the allocation has gone
  stun::SocketAddress peer;
  State state = State::kConnecting;
  StreamClient* client = nullptr;  ///< the data connection once bound
  std::uint64_t deadline_ms = 0;   ///< connect timeout, then ConnectionBind timeout
  bool closing = false;
  int events = 0;

  /// The Connect request, answered when the connection to the peer completes or fails.
  ClientKey control;
  stun::TransactionId connect_tid{};
  AuthOutcome connect_auth;
  bool connect_fingerprint = false;
};
using PeerConnections = UvHandle<PeerConnection, uv_poll_t, &PeerConnection::poll>;

}  // namespace turn
