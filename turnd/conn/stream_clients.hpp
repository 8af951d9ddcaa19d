// TURN over TCP and TLS (RFC 8656 §3.1) on one worker: the one owner of its client connections.
// It accepts them (within max-connections(-per-source)), tells TLS from plain TCP by the first
// byte as coturn does, cuts their bytes into STUN messages and ChannelData frames for the
// ingress, writes what is queued for them once per flush, and closes those that stall. A
// connection bound by RFC 6062 ConnectionBind carries raw bytes instead: its splice is the
// relay's (StreamSplicer), the connection stays here.
#pragma once

#include <uv.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "conn/connection_host.hpp"
#include "conn/stream_client.hpp"
#include "guard/connection_limiter.hpp"
#include "state/settings.hpp"
#include "util/stats.hpp"

namespace turn {

/// What the stream clients need of their worker beyond ConnectionHost.
class StreamHost : public ConnectionHost {
 public:
  /// The TLS context, no-tcp / no-tls and the channel range, as of now (live on reload).
  virtual const Settings& settings() const = 0;
  virtual bool source_banned(const stun::SocketAddress& source) = 0;
  /// Sends what the handlers queued so far: relayed datagrams may point into a connection's
  /// input, which must not move (a read, a handoff) until they are gone. Ends with flush().
  virtual void flush_relayed() = 0;
};

/// The RFC 6062 relay, as the data connections it splices see it (relay/tcp_relay.hpp).
class StreamSplicer {
 public:
  virtual ~StreamSplicer() = default;
  /// Data connection `s` read bytes; `client_closed`: and then the client hung up.
  virtual void spliced_input(StreamClient& s, bool client_closed) = 0;
  /// After `s`'s events: room freed on either side lets the other move on.
  virtual void spliced_ready(StreamClient& s) = 0;
  /// Data connection `s` closes: its peer connection closes with it.
  virtual void unsplice(StreamClient& s, const char* why) = 0;
};

class StreamClients {
 public:
  StreamClients(uv_loop_t* loop, StreamHost& host, ConnectionLimiter& limits, WorkerStats& stats);
  StreamClients(const StreamClients&) = delete;
  StreamClients& operator=(const StreamClients&) = delete;
  /// The relay that splices bound data connections; before the first accept().
  void attach(StreamSplicer& splicer) { splicer_ = &splicer; }

  enum class AcceptResult : std::uint8_t {
    kDone,              ///< the backlog is empty, or this wakeup's share was taken
    kOutOfDescriptors,  ///< accept() ran out of file descriptors: the caller backs off
  };
  /// Accepts what waits on the listening socket `listen_fd` (the worker's listener `listener`).
  AcceptResult accept(int listen_fd, std::uint32_t listener);
  /// Files a data connection handed over by another worker (TLS or plain already known) as one
  /// of these; null when it cannot be polled (it is closed then, `slot` given back).
  StreamClient* adopt(StreamConnection&& conn, const ClientKey& key, ConnectionLimiter::Slot slot);

  /// The open connection with this id, or null.
  StreamClient* find(std::uint32_t connection);
  bool contains(std::uint32_t connection) const { return streams_.count(connection) != 0; }
  /// TCP or TLS; TCP for an id that is not one of these.
  ClientTransport transport_of(std::uint32_t connection) const;
  std::size_t size() const { return streams_.size(); }

  /// Queues `message` for connection `connection`, written at the next flush(); false when the
  /// id is none of these (a DTLS session's, say).
  bool send(std::uint32_t connection, stun::Bytes message);
  /// `s` has output queued: written at the next flush().
  void mark_output(StreamClient& s);
  /// Frames of `s` handed out since the last flush may still be referenced: flushes first.
  void settle_input(StreamClient& s);
  /// Asks the loop for the events `s` needs now.
  void watch(StreamClient& s);
  /// Writes every connection with output queued. From here on no frame handed out before is
  /// referenced any more.
  void flush();

  void close(StreamClient& s, const char* why);
  void close_all(const char* why);
  /// Connections that never completed a message, or stopped mid-message, in time (slow-loris),
  /// and idle ones without an allocation.
  void sweep(std::uint64_t now);

 private:
  static void on_event(uv_poll_t* handle, int status, int events);
  /// Files a new connection under a fresh connection id, its poll handle ready; null (the
  /// socket closed) when it cannot be polled.
  StreamClient* add(StreamConnection&& conn, const stun::SocketAddress& from,
                    std::uint32_t listener);
  void read(StreamClient& s);
  /// Decides TLS or plain from the first byte; false when the connection must close.
  bool detect_protocol(StreamClient& s);
  /// Cuts the input into frames (RFC 8656 §3.1) and delivers each as a datagram would be.
  void dispatch_frames(StreamClient& s);
  void write(StreamClient& s);
  std::uint64_t now_ms() const { return uv_now(loop_); }

  uv_loop_t* loop_;
  StreamHost& host_;
  ConnectionLimiter& limits_;
  WorkerStats& stats_;
  StreamSplicer* splicer_ = nullptr;
  std::unordered_map<std::uint32_t, StreamClient*> streams_;  ///< freed in their close callback
  std::vector<StreamClient*> dirty_;                          ///< with output queued
  /// Counts flush() calls: frames handed out in the current generation may be referenced.
  std::uint64_t generation_ = 0;
};

}  // namespace turn
