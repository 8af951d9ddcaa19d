// A client connected over TCP or TLS (RFC 8656 §3.1), as one worker owns it: the connection's
// buffers, its poll handle and the deadlines that close connections which never complete a
// message. Owned by StreamClients (conn/stream_clients.hpp); freed in the poll handle's close
// callback (libuv: only after uv_close completes). Below the RFC 6062 relay that splices it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <utility>

#include "alloc/allocation.hpp"
#include "guard/connection_limiter.hpp"
#include "net/stream_connection.hpp"
#include "net/uv_handle.hpp"
#include "util/stats.hpp"

namespace turn {

struct PeerConnection;
class StreamClients;

struct StreamClient {
  StreamClient(StreamConnection&& c, StreamClients* owner_clients)
      : conn(std::move(c)), owner(owner_clients) {}

  uv_poll_t poll{};
  StreamConnection conn;
  StreamClients* owner;   ///< the worker's stream clients, which poll it
  ClientKey key;          ///< client address, listener, and this connection's id
  bool detected = false;  ///< TLS or plain decided (by the first byte)
  bool closing = false;
  bool dirty = false;  ///< has output queued and is on the worker's flush list
  int events = 0;      ///< the uv_poll events currently asked for
  std::uint64_t opened_ms = 0;
  std::uint64_t last_message_ms = 0;   ///< 0 until the first complete message
  std::uint64_t partial_since_ms = 0;  ///< when the unfinished frame at the front started
  /// StreamClients' flush generation in which frames were last handed out from the input
  /// buffer: until that flush, queued relayed datagrams point into it, so it must not move.
  std::uint64_t dispatched_generation = ~std::uint64_t{0};

  /// RFC 6062 data connection: once ConnectionBind succeeded the stream carries raw bytes to
  /// and from this peer connection, no more STUN.
  PeerConnection* peer = nullptr;
  /// This connection's count in max-connections(-per-source), released when it is freed.
  ConnectionLimiter::Slot slot;

  ClientTransport transport() const {
    return conn.is_tls() ? ClientTransport::kTls : ClientTransport::kTcp;
  }
};
using StreamClientHandles = UvHandle<StreamClient, uv_poll_t, &StreamClient::poll>;

}  // namespace turn
