// TURN over TCP and TLS (RFC 8656 §3.1): accepting connections on the worker's stream
// listeners, cutting their bytes into STUN messages and ChannelData frames, writing responses and
// relayed data back, and closing connections that stall.
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>

#include "ingress/ingress.hpp"
#include "net/tcp_socket.hpp"
#include "stun/demux.hpp"
#include "stun/framing.hpp"
#include "util/log.hpp"
#include "worker/worker.hpp"

namespace turn {
namespace {

/// Connections accepted per listener wakeup, so a connection flood cannot starve relaying.
constexpr int kAcceptsPerWakeup = 64;
/// Bytes read from one connection per wakeup, for the same reason.
constexpr std::size_t kReadBudget = 64 * 1024;
/// A new connection must finish its TLS handshake and first message within this time, and a
/// message once started must complete within it (slow-loris defence).
constexpr std::uint64_t kMessageTimeoutMs = 10'000;
/// A connection without an allocation that sends nothing for this long is closed (STUN
/// keepalives and Binding requests keep it open).
constexpr std::uint64_t kIdleTimeoutMs = 120'000;
/// RFC 8446 §5.1: a TLS record of type handshake(22) opens every TLS connection.
constexpr int kTlsHandshakeRecord = 0x16;
/// How long a TCP listener stops accepting after accept() ran out of file descriptors: the
/// connection stays in the backlog, and a level-triggered poll would wake us for it at once.
constexpr std::uint64_t kAcceptBackoffMs = 100;

bool is_channel_data(stun::Bytes message, std::uint16_t max_channel) {
  return !message.empty() &&
         stun::classify(message[0], max_channel) == stun::PacketKind::kChannelData;
}

}  // namespace

void Worker::add_stream_listener(int fd, const stun::SocketAddress& local) {
  add_listener(fd, local);
  listeners_.back()->stream = true;
}

void Worker::on_stream_listener_readable(uv_poll_t* handle, int status, int) {
  if (status < 0)
    return;
  auto* l = static_cast<Listener*>(handle->data);
  l->worker->accept_streams(*l);
}

void Worker::accept_streams(Listener& l) {
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    stun::SocketAddress from;
    const int fd = accept_connection(l.fd, from);
    if (fd == -1)
      return;
    if (fd < 0) {
      WorkerStats::add(stats_.accept_errors);
      if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM)
        back_off_accepting(l);
      return;
    }
    if (source_banned(from)) {
      ::close(fd);
      continue;
    }
    ConnectionLimiter::Refusal why = ConnectionLimiter::Refusal::kNone;
    ConnectionLimiter::Slot slot = shared_.connections.acquire(from, why);
    if (!slot) {
      // Accepted only to be closed: left in the backlog it would keep the listener readable.
      WorkerStats::add(stats_.connections_refused);
      ::close(fd);
      continue;
    }
    StreamClient* s = add_stream_client(StreamConnection(fd), from, l.index);
    if (s == nullptr)
      continue;  // closed at once; `slot` gives its count back
    s->slot = std::move(slot);
    WorkerStats::add(stats_.stream_connections);
    watch_stream(*s);
  }
}

void Worker::back_off_accepting(Listener& l) {
  WorkerStats::add(stats_.accept_backoffs);
  if (log::enabled(log::Level::kWarning)) {
    static log::RateLimit limit(1);
    log::write_limited(limit, log::Level::kWarning,
                       "out of file descriptors accepting on " + l.local.to_string() +
                           ": pausing accept for " + std::to_string(kAcceptBackoffMs) + " ms");
  }
  uv_succeeded(uv_poll_stop(&l.poll), "listener poll stop");
  uv_succeeded(uv_timer_start(&l.backoff, &Worker::on_accept_backoff_over, kAcceptBackoffMs, 0),
               "accept backoff timer");
}

void Worker::on_accept_backoff_over(uv_timer_t* handle) {
  auto* l = static_cast<Listener*>(handle->data);
  uv_succeeded(uv_poll_start(&l->poll, UV_READABLE, &Worker::on_stream_listener_readable),
               "listener poll start");
}

StreamClient* Worker::add_stream_client(StreamConnection&& conn, const stun::SocketAddress& from,
                                        std::uint32_t listener) {
  const int fd = conn.fd();
  StreamClient* s = StreamClients::make_polled(loop_.get(), fd, "stream poll", std::move(conn),
                                               static_cast<void*>(this));
  if (s == nullptr)
    return nullptr;  // freed at once: the socket is closed
  s->key = ClientKey{from, listener, new_connection_id()};
  s->opened_ms = now_ms();
  streams_.emplace(s->key.connection, s);
  update_connection_gauge();
  return s;
}

void Worker::update_connection_gauge() {
  stats_.active_connections.store(streams_.size() + dtls_.size(), std::memory_order_relaxed);
}

void Worker::watch_stream(StreamClient& s) {
  // A data connection whose peer cannot take more is not read until it can (RFC 6062 splice).
  int events = s.peer != nullptr && !s.conn.unread().empty() ? 0 : UV_READABLE;
  if (s.conn.has_output() || s.conn.read_wants_write())
    events |= UV_WRITABLE;
  set_poll_events(s.poll, s.events, events, &Worker::on_stream_event);
}

void Worker::on_stream_event(uv_poll_t* handle, int status, int events) {
  auto* s = static_cast<StreamClient*>(handle->data);
  Worker& w = *static_cast<Worker*>(s->owner);
  if (s->closing)
    return;
  if (status < 0) {
    w.close_stream(*s, "socket error");
    return;
  }
  if ((events & UV_WRITABLE) != 0) {
    w.write_stream(*s);
    if (s->closing)
      return;
  }
  if ((events & UV_READABLE) != 0 || s->conn.read_wants_write())
    w.read_stream(*s);
  if (s->closing)
    return;
  if (PeerConnection* p = s->peer) {
    w.tcp_relay_->splice(*s, *p);  // room freed on either side lets the other move on
    if (s->closing)
      return;
    if (s->peer != nullptr)
      w.tcp_relay_->watch_peer(*s->peer);
  }
  w.watch_stream(*s);
}

bool Worker::detect_stream_protocol(StreamClient& s) {
  const int first = s.conn.peek_first_byte();
  if (first == -1)
    return true;  // nothing yet
  if (first == -2)
    return false;
  s.detected = true;
  if (first != kTlsHandshakeRecord)
    return !config().no_tcp;  // plain TURN over TCP, unless no-tcp
  const TlsContextPtr& tls = settings_->tls;
  if (!tls || config().no_tls || !s.conn.start_tls(tls->tls())) {
    WorkerStats::add(stats_.tls_failures);
    return false;
  }
  return true;
}

void Worker::read_stream(StreamClient& s) {
  if (!s.detected && !detect_stream_protocol(s)) {
    close_stream(s, s.detected ? "transport disabled" : "closed by client");
    return;
  }
  if (!s.detected)
    return;
  // Frames handed out earlier in this iteration are still referenced by the send queue, and
  // reading may move the buffer they lie in.
  settle_input(s);
  const bool was_established = s.conn.established();
  const auto status = s.conn.read(kReadBudget);
  if (!was_established && s.conn.established()) {
    WorkerStats::add(stats_.tls_handshakes);
    if (log::enabled(log::Level::kVerbose)) {
      log::write(log::Level::kVerbose, std::string("TLS connection from ") +
                                           s.key.client.to_string() + " " + s.conn.tls_version());
    }
  }
  if (s.peer != nullptr) {
    tcp_relay_->splice(s, *s.peer);  // an RFC 6062 data connection: raw bytes, no frames
    if (status == StreamConnection::ReadStatus::kClosed && s.peer != nullptr && !s.closing)
      s.peer->conn.write();  // the last bytes go out before both sides close
  } else if (status == StreamConnection::ReadStatus::kData) {
    dispatch_frames(s);
  }
  if (status == StreamConnection::ReadStatus::kClosed && !s.closing) {
    if (s.conn.tls_failed())
      WorkerStats::add(stats_.tls_failures);
    close_stream(s, s.conn.tls_failed() ? "TLS failure" : "closed by client");
  }
}

void Worker::dispatch_frames(StreamClient& s) {
  const std::uint64_t now = now_ms();
  for (;;) {
    const stun::MutableBytes unread = s.conn.unread();
    auto frame = stun::next_frame(unread, stun::kMaxStreamFrame, config().max_channel());
    if (!frame) {
      if (frame.error() != stun::ParseError::kIncomplete) {
        // Not STUN, not ChannelData, or a length no frame can have: the stream cannot be
        // resynchronised (RFC 8656 §3.1 gives no marker), so it is closed.
        WorkerStats::add(stats_.stream_frame_errors);
        close_stream(s, "not a STUN/ChannelData stream");
        return;
      }
      break;
    }
    s.conn.consume(frame->size);
    WorkerStats::add(stats_.stream_frames);
    s.dispatched_iteration = iteration_;
    s.last_message_ms = now;
    on_client_datagram(*this, s.key, unread.first(frame->size));
    if (s.closing)
      return;
  }
  if (s.conn.unread().empty()) {
    s.partial_since_ms = 0;
  } else if (s.partial_since_ms == 0) {
    s.partial_since_ms = now;
  }
}

std::uint32_t Worker::new_connection_id() {
  std::uint32_t id = next_connection_id_++;
  while (id == 0 || streams_.count(id) != 0 || dtls_.contains(id))
    id = next_connection_id_++;
  return id;
}

void Worker::send_over_connection(const ClientKey& key, stun::Bytes message) {
  if (auto it = streams_.find(key.connection); it != streams_.end()) {
    if (!it->second->closing)
      queue_to_stream(*it->second, message);
    return;
  }
  if (dtls_.contains(key.connection))
    dtls_.send(key.connection, message);
}

StreamClient* Worker::find_stream(std::uint32_t connection) {
  auto it = streams_.find(connection);
  return it == streams_.end() ? nullptr : it->second;
}

void Worker::settle_input(StreamClient& s) {
  if (s.dispatched_iteration == iteration_)
    flush_relayed();
}

void Worker::mark_output(StreamClient& s) {
  if (!s.dirty) {
    s.dirty = true;
    dirty_streams_.push_back(&s);
  }
}

StreamClient* Worker::adopt_stream(StreamConnection&& conn, const ClientKey& key,
                                   ConnectionLimiter::Slot slot) {
  StreamClient* s = add_stream_client(std::move(conn), key.client, key.listener);
  if (s == nullptr)
    return nullptr;  // `slot` gives its count back
  s->slot = std::move(slot);
  s->detected = true;  // TLS or not was settled on the worker that accepted it
  s->last_message_ms = s->opened_ms;
  return s;
}

void Worker::queue_to_stream(StreamClient& s, stun::Bytes message) {
  // RFC 8656 §12.5: over TCP and TLS, ChannelData is padded to a multiple of 4 bytes.
  if (!s.conn.queue(message, is_channel_data(message, config().max_channel()))) {
    WorkerStats::add(stats_.stream_dropped_messages);
    return;
  }
  mark_output(s);
}

void Worker::write_stream(StreamClient& s) {
  switch (s.conn.write()) {
    case StreamConnection::WriteStatus::kFailed:
      if (s.conn.tls_failed())
        WorkerStats::add(stats_.tls_failures);
      close_stream(s, "write failed");
      return;
    case StreamConnection::WriteStatus::kPending:
    case StreamConnection::WriteStatus::kDone:
      break;
  }
}

void Worker::flush_streams() {
  // Indexing: closing a stream never adds to the list, but be robust to it anyway.
  for (std::size_t i = 0; i < dirty_streams_.size(); ++i) {
    StreamClient& s = *dirty_streams_[i];
    s.dirty = false;
    if (s.closing)
      continue;
    write_stream(s);
    if (!s.closing)
      watch_stream(s);
  }
  dirty_streams_.clear();
}

void Worker::close_stream(StreamClient& s, const char* why) {
  if (s.closing)
    return;
  s.closing = true;
  if (PeerConnection* p = s.peer) {
    s.peer = nullptr;
    p->client = nullptr;
    tcp_relay_->close_peer(*p, why);
  }
  if (Allocation* a = allocations_.find(s.key)) {
    // RFC 8656 §3.1 / RFC 6062 §5.3: the allocation lives and dies with its control
    // connection.
    allocations_.remove(*a, "connection closed");
  }
  // Best effort, without blocking: answers queued before the reason to close (a Binding
  // response ahead of garbage, say) still reach the client.
  if (s.conn.has_output())
    s.conn.write();
  if (log::enabled(log::Level::kVerbose)) {
    log::write(log::Level::kVerbose, std::string(client_transport_name(s.transport())) +
                                         " connection from " + s.key.client.to_string() +
                                         " closed: " + why);
  }
  streams_.erase(s.key.connection);
  update_connection_gauge();
  StreamClients::close(&s);  // freed (socket closed, SSL freed) in the close callback
}

void Worker::sweep_streams(std::uint64_t now) {
  struct Expired {
    StreamClient* stream;
    const char* why;
    bool idle;
  };
  std::vector<Expired> expired;
  for (auto& [id, s] : streams_) {
    if (s->peer != nullptr)
      continue;  // a spliced data connection lives as long as its peer connection
    if (s->last_message_ms == 0 && now - s->opened_ms > kMessageTimeoutMs) {
      expired.push_back({s, "no message in time", false});
    } else if (s->partial_since_ms != 0 && now - s->partial_since_ms > kMessageTimeoutMs) {
      expired.push_back({s, "message not completed in time", false});
    } else if (s->last_message_ms != 0 && now - s->last_message_ms > kIdleTimeoutMs &&
               allocations_.find(s->key) == nullptr) {
      expired.push_back({s, "idle without an allocation", true});
    }
  }
  for (const Expired& e : expired) {
    WorkerStats::add(e.idle ? stats_.stream_idle_closed : stats_.stream_timeouts);
    close_stream(*e.stream, e.why);
  }
}

}  // namespace turn
