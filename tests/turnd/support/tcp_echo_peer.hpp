// TCP peers for RFC 6062 tests: the far end of a TURN TCP allocation. TcpEchoPeer answers on
// its own thread (bytes come back as they went in); TcpListenerPeer leaves accepting, reading
// and writing to the test.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "stun/address.hpp"
#include "support/stream_connection.hpp"
#include "support/timeouts.hpp"

namespace turntest {

/// Listens on `bind_to` (127.0.0.1 and a kernel-chosen port by default) and echoes every byte
/// each accepted connection sends, until the peer closes its side or the TcpEchoPeer goes.
/// One background thread; the destructor stops it (a wake-up pipe, so within milliseconds) and
/// joins, closing all connections.
class TcpEchoPeer {
 public:
  explicit TcpEchoPeer(const stun::SocketAddress& bind_to = stun::SocketAddress::v4({127, 0, 0, 1},
                                                                                    0));
  ~TcpEchoPeer();
  TcpEchoPeer(const TcpEchoPeer&) = delete;
  TcpEchoPeer& operator=(const TcpEchoPeer&) = delete;

  /// Where to connect (the real port).
  const stun::SocketAddress& address() const { return address_; }
  /// Connections accepted so far.
  std::size_t accepted() const { return accepted_.load(); }
  /// Connections accepted and not yet closed.
  std::size_t open_connections() const { return open_.load(); }
  /// Bytes echoed back so far, all connections together.
  std::size_t bytes_echoed() const { return echoed_.load(); }
  /// The addresses the accepted connections came from (for RFC 6062: the relayed address).
  std::vector<stun::SocketAddress> remotes() const;
  /// Closes every accepted connection (the peer hanging up, RFC 6062 §5.5), keeps listening.
  /// Returns once they are closed.
  void close_connections();

 private:
  void run();
  void wake();

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  stun::SocketAddress address_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> close_requested_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> echoed_{0};
  mutable std::mutex mutex_;
  std::vector<stun::SocketAddress> remotes_;
  std::thread thread_;
};

/// A listening TCP socket the test drives by hand: accept() hands back each connection as a
/// plain StreamConnection (write, read_some, read_exactly, next_frame, closed_by_peer).
class TcpListenerPeer {
 public:
  explicit TcpListenerPeer(
      const stun::SocketAddress& bind_to = stun::SocketAddress::v4({127, 0, 0, 1}, 0));
  ~TcpListenerPeer();
  TcpListenerPeer(const TcpListenerPeer&) = delete;
  TcpListenerPeer& operator=(const TcpListenerPeer&) = delete;

  const stun::SocketAddress& address() const { return address_; }
  int fd() const { return fd_; }
  /// The next incoming connection, or nullptr when none arrives within `timeout`.
  std::unique_ptr<StreamConnection> accept(Millis timeout = kReplyTimeout);
  /// Stops listening: connections to address() are refused from now on (e.g. a Connect that
  /// must fail, RFC 6062 §4.3 error 447).
  void close();

 private:
  int fd_ = -1;
  stun::SocketAddress address_;
};

}  // namespace turntest
