// RFC 6062 TCP relaying: a TCP allocation's relay socket listens for peers, Connect opens
// connections to peers, and a ConnectionBind on a new client connection splices that
// connection to one peer connection. Bytes are copied between the two sides' buffers with TCP's
// own flow control: a side whose partner's output is full is not read until it drains.
#include "relay/tcp_relay.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <stdexcept>

#include "handlers/seal.hpp"
#include "net/tcp_socket.hpp"
#include "stun/builder.hpp"
#include "util/log.hpp"

namespace turn {
namespace {

/// §5.2/§5.3: a peer connection not bound within 30 seconds is closed.
constexpr std::uint64_t kBindTimeoutMs = 30'000;
/// The top byte of a CONNECTION-ID names the worker that owns the peer connection, because a
/// data connection may be accepted by any worker of the SO_REUSEPORT group.
constexpr unsigned kWorkerShift = 24;
constexpr std::uint32_t kLocalIdMask = (1u << kWorkerShift) - 1;
constexpr int kAcceptsPerWakeup = 16;
constexpr std::size_t kSpliceReadBudget = 64 * 1024;

}  // namespace

TcpRelay::TcpRelay(uv_loop_t* loop, TurnContext& ctx, StreamClients& streams, HandoffInbox* inbox)
    : loop_(loop), ctx_(ctx), streams_(streams), inbox_(inbox) {
  streams_.attach(*this);
}

void TcpRelay::spliced_input(StreamClient& s, bool client_closed) {
  splice(s, *s.peer);
  if (client_closed && s.peer != nullptr && !s.closing)
    s.peer->conn.write();  // the last bytes go out before both sides close
}

void TcpRelay::spliced_ready(StreamClient& s) {
  splice(s, *s.peer);
  if (!s.closing && s.peer != nullptr)
    watch_peer(*s.peer);
}

void TcpRelay::unsplice(StreamClient& s, const char* why) {
  PeerConnection* p = s.peer;
  s.peer = nullptr;
  p->client = nullptr;
  close_peer(*p, why);
}

void TcpRelay::end_allocation(Allocation& a) {
  // RFC 6062: the peer connections (and their data connections) end with the allocation.
  while (!a.peer_connections.empty()) {
    auto it = peers_.find(a.peer_connections.back());
    if (it == peers_.end()) {
      a.peer_connections.pop_back();
      continue;
    }
    close_peer(*it->second, "allocation ended");
  }
}

std::uint32_t TcpRelay::new_peer_connection_id() {
  for (;;) {
    std::uint32_t r = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof(r)) != 1)
      throw std::runtime_error("the OS random number generator failed");
    const std::uint32_t local = r & kLocalIdMask;
    const std::uint32_t id = (ctx_.worker_index() << kWorkerShift) | local;
    if (local != 0 && peers_.count(id) == 0)
      return id;
  }
}

bool TcpRelay::has_peer_connection(const Allocation& a, const stun::SocketAddress& peer) const {
  for (std::uint32_t id : a.peer_connections) {
    auto it = peers_.find(id);
    if (it != peers_.end() && !it->second->closing && it->second->peer == peer)
      return true;
  }
  return false;
}

PeerConnection* TcpRelay::add_peer_connection(int fd, Allocation& a,
                                              const stun::SocketAddress& peer,
                                              PeerConnection::State state) {
  PeerConnection* p =
      PeerConnections::make_polled(loop_, fd, "peer connection poll", fd, static_cast<void*>(this));
  if (p == nullptr)
    return nullptr;  // freed at once, its socket closed
  p->id = new_peer_connection_id();
  p->allocation = &a;
  p->peer = peer;
  p->state = state;
  // §5.2: a Connect that takes longer than max-allocate-timeout gets 447.
  const std::uint64_t connect_timeout_ms = std::uint64_t{ctx_.config().max_allocate_timeout} * 1000;
  p->deadline_ms = ctx_.now_ms() + (state == PeerConnection::State::kConnecting ? connect_timeout_ms
                                                                                : kBindTimeoutMs);
  peers_.emplace(p->id, p);
  a.peer_connections.push_back(p->id);
  watch_peer(*p);
  return p;
}

void TcpRelay::accept_peers(int listen_fd, Allocation& a) {
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    stun::SocketAddress from;
    const int fd = accept_connection(listen_fd, from);
    if (fd == -1)
      return;
    if (fd < 0) {
      WorkerStats::add(ctx_.stats().accept_errors);
      return;
    }
    // §5.3: a peer without a permission is disconnected at once; the peer policy applies as
    // for Connect (from this host's own addresses, only our own RFC 6062 relays may connect).
    if (!a.has_permission(from, ctx_.now_ms()) ||
        !ctx_.settings().policy.allowed(from, RelayProtocol::kTcp)) {
      WorkerStats::add(ctx_.stats().no_permission_packets);
      ::close(fd);
      continue;
    }
    if (a.peer_connections.size() >= ctx_.config().max_tcp_peer_connections) {
      WorkerStats::add(ctx_.stats().tcp_peer_connections_refused);
      ::close(fd);
      continue;
    }
    PeerConnection* p = add_peer_connection(fd, a, from, PeerConnection::State::kAwaitingBind);
    if (p == nullptr)
      continue;
    // §5.3: ConnectionAttempt tells the client to open a data connection for it.
    stun::TransactionId tid{};
    stun::store_u32(tid.data(), ctx_.worker_index());
    stun::store_u32(tid.data() + 4, p->id);
    stun::store_u32(tid.data() + 8, static_cast<std::uint32_t>(ctx_.now_ms()));
    stun::MessageBuilder b(
        ctx_.tx_buffer(),
        stun::pack_type(stun::Method::kConnectionAttempt, stun::Class::kIndication), tid);
    b.add(stun::attr::kXorPeerAddress, from);
    b.add(stun::attr::kConnectionId, p->id);
    if (auto bytes = b.finish())
      ctx_.send_to_client(a.key, *bytes);
  }
}

bool TcpRelay::start_peer_connect(Allocation& a, const stun::SocketAddress& peer,
                                  const ClientKey& control, const stun::TransactionId& tid,
                                  const AuthOutcome& auth, bool fingerprint) {
  std::string error;
  const int fd = start_tcp_connect(a.relay, peer, error);
  if (fd < 0)
    return false;
  PeerConnection* p = add_peer_connection(fd, a, peer, PeerConnection::State::kConnecting);
  if (p == nullptr)
    return false;
  p->control = control;
  p->connect_tid = tid;
  p->connect_auth = auth;
  p->connect_fingerprint = fingerprint;
  return true;
}

void TcpRelay::watch_peer(PeerConnection& p) {
  int events = 0;
  if (p.state == PeerConnection::State::kConnecting) {
    events = UV_WRITABLE;  // a non-blocking connect completes by becoming writable
  } else if (p.state == PeerConnection::State::kBound) {
    if (p.conn.unread().empty())
      events |= UV_READABLE;
    if (p.conn.has_output())
      events |= UV_WRITABLE;
  }
  // Before ConnectionBind nothing is read: the peer's bytes wait in the kernel (§5.3 lets the
  // server buffer them; TCP does it for free).
  set_poll_events(p.poll, p.events, events, &TcpRelay::on_peer_event);
}

void TcpRelay::on_peer_event(uv_poll_t* handle, int status, int events) {
  auto* p = static_cast<PeerConnection*>(handle->data);
  TcpRelay& w = *static_cast<TcpRelay*>(p->owner);
  if (p->closing)
    return;
  if (p->state == PeerConnection::State::kConnecting) {
    w.finish_connect(*p);
    return;
  }
  if (status < 0) {
    w.close_peer(*p, "socket error");
    return;
  }
  if ((events & UV_WRITABLE) != 0 && p->conn.write() == StreamConnection::WriteStatus::kFailed) {
    w.close_peer(*p, "write to peer failed");
    return;
  }
  if ((events & UV_READABLE) != 0) {
    if (p->conn.read(kSpliceReadBudget) == StreamConnection::ReadStatus::kClosed) {
      // Whatever was read still goes to the client before both sides close.
      if (p->client != nullptr)
        w.splice(*p->client, *p);
      if (p->client != nullptr && !p->client->closing)
        p->client->conn.write();
      w.close_peer(*p, "closed by peer");
      return;
    }
  }
  if (p->client != nullptr) {
    w.splice(*p->client, *p);
    if (p->client != nullptr && !p->client->closing)
      w.streams_.watch(*p->client);
  }
  if (!p->closing)
    w.watch_peer(*p);
}

void TcpRelay::finish_connect(PeerConnection& p) {
  const int error = connect_result(p.conn.fd());
  Allocation* a = p.allocation;
  const bool ok = error == 0 && a != nullptr;
  if (a != nullptr) {
    send_late_response(p.control, stun::Method::kConnect,
                       ok ? stun::Class::kSuccess : stun::Class::kError, p.connect_tid,
                       p.connect_auth, p.connect_fingerprint,
                       stun::ErrorCode::kConnectionTimeoutOrFailure, p.id);
  }
  if (!ok) {
    close_peer(p, "connect failed");
    return;
  }
  p.state = PeerConnection::State::kAwaitingBind;
  p.deadline_ms = ctx_.now_ms() + kBindTimeoutMs;
  watch_peer(p);
}

void TcpRelay::bind_data_connection(const ClientKey& key, std::uint32_t connection_id,
                                    const stun::TransactionId& tid, const AuthOutcome& auth,
                                    bool fingerprint) {
  StreamClient* found = streams_.find(key.connection);
  if (found == nullptr || found->closing)
    return;
  StreamClient& s = *found;
  // The send queue may still point into this connection's input, which is about to change
  // owner (and thread).
  streams_.settle_input(s);
  // Whatever is queued for the client so far goes first; the connection then leaves this
  // worker's tables (and its epoll set) before the owner starts polling it.
  s.conn.write();
  const unsigned owner = connection_id >> kWorkerShift;
  HandoffInbox* target = ctx_.shared().handoffs.inbox(owner);
  if (target == nullptr) {
    send_late_response(key, stun::Method::kConnectionBind, stun::Class::kError, tid, auth,
                       fingerprint, stun::ErrorCode::kBadRequest, 0);
    return;
  }
  DataHandoff h{std::move(s.conn), key, connection_id, tid, auth, fingerprint, std::move(s.slot)};
  streams_.close(s, "handed over as a data connection");
  if (target == inbox_) {
    adopt(std::move(h));
  } else {
    target->post(std::move(h));  // refused when that worker is shutting down: h closes here
  }
}

void TcpRelay::adopt(DataHandoff&& h) {
  StreamClient* s = streams_.adopt(std::move(h.conn), h.key, std::move(h.slot));
  if (s == nullptr)
    return;  // it could not be polled and is closed; the peer connection times out unbound

  auto it = peers_.find(h.connection_id);
  PeerConnection* p = it == peers_.end() ? nullptr : it->second;
  // §5.4: the id must name a connection waiting for its bind, of an allocation of the same
  // user (a ConnectionBind with other credentials must not steal someone's peer).
  const bool ok = p != nullptr && !p->closing && p->state == PeerConnection::State::kAwaitingBind &&
                  p->allocation != nullptr && p->allocation->user == h.auth.user;
  send_late_response(s->key, stun::Method::kConnectionBind,
                     ok ? stun::Class::kSuccess : stun::Class::kError, h.tid, h.auth, h.fingerprint,
                     stun::ErrorCode::kBadRequest, 0);
  if (ok) {
    p->state = PeerConnection::State::kBound;
    p->client = s;
    s->peer = p;
    splice(*s, *p);  // bytes the client sent right after ConnectionBind
    watch_peer(*p);
  }
  streams_.watch(*s);
}

void TcpRelay::splice(StreamClient& client, PeerConnection& peer) {
  auto move_bytes = [](StreamConnection& from, StreamConnection& to) {
    const stun::MutableBytes unread = from.unread();
    const std::size_t room = StreamConnection::kMaxOutputBytes - to.buffered_output();
    const std::size_t n = std::min(unread.size(), room);
    if (n != 0 && to.queue(unread.first(n), /*pad_to_4=*/false))
      from.consume(n);
    return n;
  };
  const std::size_t up = move_bytes(client.conn, peer.conn);
  const std::size_t down = move_bytes(peer.conn, client.conn);
  if (Allocation* a = peer.allocation) {
    a->traffic.client_bytes += up;
    a->traffic.peer_bytes += down;
  }
  WorkerStats::add(ctx_.stats().client_to_peer_bytes, up);
  WorkerStats::add(ctx_.stats().peer_to_client_bytes, down);
  if (up != 0 && peer.conn.write() == StreamConnection::WriteStatus::kFailed) {
    close_peer(peer, "write to peer failed");
    return;
  }
  if (down != 0)
    streams_.mark_output(client);
}

void TcpRelay::close_peer(PeerConnection& p, const char* why) {
  if (p.closing)
    return;
  p.closing = true;
  if (Allocation* a = p.allocation) {
    std::erase(a->peer_connections, p.id);
    p.allocation = nullptr;
  }
  if (StreamClient* s = p.client) {
    p.client = nullptr;
    s->peer = nullptr;
    streams_.close(*s, why);
  }
  if (log::enabled(log::Level::kVerbose)) {
    log::write(log::Level::kVerbose,
               "TCP peer connection " + p.peer.to_string() + " closed: " + std::string(why));
  }
  peers_.erase(p.id);
  PeerConnections::close(&p);
}

void TcpRelay::sweep_peers(std::uint64_t now) {
  std::vector<PeerConnection*> late;
  for (auto& [id, p] : peers_) {
    if (p->state != PeerConnection::State::kBound && now > p->deadline_ms)
      late.push_back(p);
  }
  for (PeerConnection* p : late) {
    if (p->state == PeerConnection::State::kConnecting && p->allocation != nullptr) {
      send_late_response(p->control, stun::Method::kConnect, stun::Class::kError, p->connect_tid,
                         p->connect_auth, p->connect_fingerprint,
                         stun::ErrorCode::kConnectionTimeoutOrFailure, 0);
    }
    close_peer(*p, p->state == PeerConnection::State::kConnecting ? "connect timed out"
                                                                  : "no ConnectionBind in time");
  }
}

void TcpRelay::send_late_response(const ClientKey& key, stun::Method method, stun::Class cls,
                                  const stun::TransactionId& tid, const AuthOutcome& auth,
                                  bool fingerprint, stun::ErrorCode error,
                                  std::uint32_t connection_id) {
  stun::MessageBuilder b(ctx_.tx_buffer(), stun::pack_type(method, cls), tid);
  if (cls == stun::Class::kError) {
    WorkerStats::add(ctx_.stats().error_responses);
    b.add(stun::attr::kErrorCode, {stun::code_of(error), stun::reason_phrase(error)});
  } else if (connection_id != 0) {
    b.add(stun::attr::kConnectionId, connection_id);
  }
  seal_response(b, ctx_.config(), auth, fingerprint);
  if (auto bytes = b.finish())
    ctx_.send_to_client(key, *bytes);
}

}  // namespace turn
