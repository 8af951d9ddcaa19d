#include "conn/stream_clients.hpp"

#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>

#include "net/tcp_socket.hpp"
#include "stun/demux.hpp"
#include "stun/framing.hpp"
#include "util/log.hpp"

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

bool is_channel_data(stun::Bytes message, std::uint16_t max_channel) {
  return !message.empty() &&
         stun::classify(message[0], max_channel) == stun::PacketKind::kChannelData;
}

}  // namespace

StreamClients::StreamClients(uv_loop_t* loop, StreamHost& host, ConnectionLimiter& limits,
                             WorkerStats& stats)
    : loop_(loop), host_(host), limits_(limits), stats_(stats) {}

StreamClients::AcceptResult StreamClients::accept(int listen_fd, std::uint32_t listener) {
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    stun::SocketAddress from;
    const int fd = accept_connection(listen_fd, from);
    if (fd == -1)
      return AcceptResult::kDone;
    if (fd < 0) {
      WorkerStats::add(stats_.accept_errors);
      if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM)
        return AcceptResult::kOutOfDescriptors;
      return AcceptResult::kDone;
    }
    if (host_.source_banned(from)) {
      ::close(fd);
      continue;
    }
    ConnectionLimiter::Refusal why = ConnectionLimiter::Refusal::kNone;
    ConnectionLimiter::Slot slot = limits_.acquire(from, why);
    if (!slot) {
      // Accepted only to be closed: left in the backlog it would keep the listener readable.
      WorkerStats::add(stats_.connections_refused);
      ::close(fd);
      continue;
    }
    StreamClient* s = add(StreamConnection(fd), from, listener);
    if (s == nullptr)
      continue;  // closed at once; `slot` gives its count back
    s->slot = std::move(slot);
    WorkerStats::add(stats_.stream_connections);
    watch(*s);
  }
  return AcceptResult::kDone;
}

StreamClient* StreamClients::adopt(StreamConnection&& conn, const ClientKey& key,
                                   ConnectionLimiter::Slot slot) {
  StreamClient* s = add(std::move(conn), key.client, key.listener);
  if (s == nullptr)
    return nullptr;  // `slot` gives its count back
  s->slot = std::move(slot);
  s->detected = true;  // TLS or not was settled on the worker that accepted it
  s->last_message_ms = s->opened_ms;
  return s;
}

StreamClient* StreamClients::add(StreamConnection&& conn, const stun::SocketAddress& from,
                                 std::uint32_t listener) {
  const int fd = conn.fd();
  StreamClient* s =
      StreamClientHandles::make_polled(loop_, fd, "stream poll", std::move(conn), this);
  if (s == nullptr)
    return nullptr;  // freed at once: the socket is closed
  s->key = ClientKey{from, listener, host_.new_connection_id()};
  s->opened_ms = now_ms();
  streams_.emplace(s->key.connection, s);
  host_.connections_changed();
  return s;
}

StreamClient* StreamClients::find(std::uint32_t connection) {
  auto it = streams_.find(connection);
  return it == streams_.end() ? nullptr : it->second;
}

ClientTransport StreamClients::transport_of(std::uint32_t connection) const {
  auto it = streams_.find(connection);
  return it == streams_.end() ? ClientTransport::kTcp : it->second->transport();
}

void StreamClients::watch(StreamClient& s) {
  // A data connection whose peer cannot take more is not read until it can (RFC 6062 splice).
  int events = s.peer != nullptr && !s.conn.unread().empty() ? 0 : UV_READABLE;
  if (s.conn.has_output() || s.conn.read_wants_write())
    events |= UV_WRITABLE;
  set_poll_events(s.poll, s.events, events, &StreamClients::on_event);
}

void StreamClients::on_event(uv_poll_t* handle, int status, int events) {
  auto* s = static_cast<StreamClient*>(handle->data);
  StreamClients& self = *s->owner;
  if (s->closing)
    return;
  if (status < 0) {
    self.close(*s, "socket error");
    return;
  }
  if ((events & UV_WRITABLE) != 0) {
    self.write(*s);
    if (s->closing)
      return;
  }
  if ((events & UV_READABLE) != 0 || s->conn.read_wants_write())
    self.read(*s);
  if (s->closing)
    return;
  if (s->peer != nullptr) {
    self.splicer_->spliced_ready(*s);
    if (s->closing)
      return;
  }
  self.watch(*s);
}

bool StreamClients::detect_protocol(StreamClient& s) {
  const int first = s.conn.peek_first_byte();
  if (first == -1)
    return true;  // nothing yet
  if (first == -2)
    return false;
  s.detected = true;
  const Settings& settings = host_.settings();
  if (first != kTlsHandshakeRecord)
    return !settings.config.no_tcp;  // plain TURN over TCP, unless no-tcp
  const TlsContextPtr& tls = settings.tls;
  if (!tls || settings.config.no_tls || !s.conn.start_tls(tls->tls())) {
    WorkerStats::add(stats_.tls_failures);
    return false;
  }
  return true;
}

void StreamClients::read(StreamClient& s) {
  if (!s.detected && !detect_protocol(s)) {
    close(s, s.detected ? "transport disabled" : "closed by client");
    return;
  }
  if (!s.detected)
    return;
  // Frames handed out earlier are perhaps still referenced by the send queue, and reading may
  // move the buffer they lie in.
  settle_input(s);
  if (s.closing)
    return;  // the flush found the connection broken
  const bool was_established = s.conn.established();
  const auto status = s.conn.read(kReadBudget);
  if (!was_established && s.conn.established()) {
    WorkerStats::add(stats_.tls_handshakes);
    if (log::enabled(log::Level::kVerbose)) {
      log::write(log::Level::kVerbose, std::string("TLS connection from ") +
                                           s.key.client.to_string() + " " + s.conn.tls_version());
    }
  }
  const bool closed = status == StreamConnection::ReadStatus::kClosed;
  if (s.peer != nullptr) {
    splicer_->spliced_input(s, closed);  // an RFC 6062 data connection: raw bytes, no frames
  } else if (status == StreamConnection::ReadStatus::kData) {
    dispatch_frames(s);
  }
  if (closed && !s.closing) {
    if (s.conn.tls_failed())
      WorkerStats::add(stats_.tls_failures);
    close(s, s.conn.tls_failed() ? "TLS failure" : "closed by client");
  }
}

void StreamClients::dispatch_frames(StreamClient& s) {
  const std::uint64_t now = now_ms();
  const std::uint16_t max_channel = host_.settings().config.max_channel();
  for (;;) {
    const stun::MutableBytes unread = s.conn.unread();
    auto frame = stun::next_frame(unread, stun::kMaxStreamFrame, max_channel);
    if (!frame) {
      if (frame.error() != stun::ParseError::kIncomplete) {
        // Not STUN, not ChannelData, or a length no frame can have: the stream cannot be
        // resynchronised (RFC 8656 §3.1 gives no marker), so it is closed.
        WorkerStats::add(stats_.stream_frame_errors);
        close(s, "not a STUN/ChannelData stream");
        return;
      }
      break;
    }
    s.conn.consume(frame->size);
    WorkerStats::add(stats_.stream_frames);
    s.dispatched_generation = generation_;
    s.last_message_ms = now;
    host_.deliver(s.key, unread.first(frame->size));
    if (s.closing)
      return;
  }
  if (s.conn.unread().empty()) {
    s.partial_since_ms = 0;
  } else if (s.partial_since_ms == 0) {
    s.partial_since_ms = now;
  }
}

bool StreamClients::send(std::uint32_t connection, stun::Bytes message) {
  auto it = streams_.find(connection);
  if (it == streams_.end())
    return false;
  StreamClient& s = *it->second;
  if (s.closing)
    return true;
  // RFC 8656 §12.5: over TCP and TLS, ChannelData is padded to a multiple of 4 bytes.
  if (!s.conn.queue(message, is_channel_data(message, host_.settings().config.max_channel()))) {
    WorkerStats::add(stats_.stream_dropped_messages);
    return true;
  }
  mark_output(s);
  return true;
}

void StreamClients::mark_output(StreamClient& s) {
  if (!s.dirty) {
    s.dirty = true;
    dirty_.push_back(&s);
  }
}

void StreamClients::settle_input(StreamClient& s) {
  if (s.dispatched_generation == generation_)
    host_.flush_relayed();
}

void StreamClients::write(StreamClient& s) {
  if (s.conn.write() == StreamConnection::WriteStatus::kFailed) {
    if (s.conn.tls_failed())
      WorkerStats::add(stats_.tls_failures);
    close(s, "write failed");
  }
}

void StreamClients::flush() {
  ++generation_;
  // Indexing: closing a connection never adds to the list, but be robust to it anyway.
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    StreamClient& s = *dirty_[i];
    s.dirty = false;
    if (s.closing)
      continue;
    write(s);
    if (!s.closing)
      watch(s);
  }
  dirty_.clear();
}

void StreamClients::close(StreamClient& s, const char* why) {
  if (s.closing)
    return;
  s.closing = true;
  if (s.peer != nullptr)
    splicer_->unsplice(s, why);
  // RFC 8656 §3.1 / RFC 6062 §5.3: the allocation lives and dies with its control connection.
  host_.connection_ending(s.key);
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
  host_.connections_changed();
  StreamClientHandles::close(&s);  // freed (socket closed, SSL freed) in the close callback
}

void StreamClients::close_all(const char* why) {
  while (!streams_.empty())
    close(*streams_.begin()->second, why);
}

void StreamClients::sweep(std::uint64_t now) {
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
               !host_.has_allocation(s->key)) {
      expired.push_back({s, "idle without an allocation", true});
    }
  }
  for (const Expired& e : expired) {
    WorkerStats::add(e.idle ? stats_.stream_idle_closed : stats_.stream_timeouts);
    close(*e.stream, e.why);
  }
}

}  // namespace turn
