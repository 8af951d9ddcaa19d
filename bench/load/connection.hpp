// One client's transport to the server: a connected UDP socket, or one TCP stream that carries
// STUN messages and ChannelData frames back to back (RFC 8656 §10.1; ChannelData padded to 4
// bytes, §12.5). Sending and receiving may run on different threads (the sender and the receiver
// thread): the send side and the receive side share no state but the descriptor.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "options.hpp"
#include "stun/bytes.hpp"
#include "stun/framing.hpp"

namespace load {

/// Receive buffers for one receiving thread: recvmmsg slots for UDP, one large read buffer for
/// TCP (a frame split across reads is copied into the connection; whole frames are parsed in
/// place).
class RecvScratch {
 public:
  static constexpr std::size_t kSlots = 64;
  static constexpr std::size_t kSlotSize = 9216;  // payloads are at most 8192 bytes

  RecvScratch();
  RecvScratch(const RecvScratch&) = delete;
  RecvScratch& operator=(const RecvScratch&) = delete;

  std::uint8_t* slot(std::size_t i) { return slots_.data() + i * kSlotSize; }
  mmsghdr* msgs() { return msgs_.data(); }
  std::uint8_t* stream() { return stream_.data(); }
  std::size_t stream_size() const { return stream_.size(); }

 private:
  std::vector<std::uint8_t> slots_;
  std::vector<iovec> iovs_;
  std::vector<mmsghdr> msgs_;
  std::vector<std::uint8_t> stream_;
};

class Connection {
 public:
  enum class SendResult : std::uint8_t { kOk, kDropped, kError };
  /// Stream bytes a connection may hold back before new messages are dropped rather than
  /// queued (a real media client drops too; it never blocks).
  static constexpr std::size_t kMaxQueued = 256 * 1024;

  Connection() = default;
  ~Connection() { close(); }
  Connection(Connection&& o) noexcept;
  Connection& operator=(Connection&& o) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// A fresh socket to `server` from the IP of `bind` (empty: the loopback address of the
  /// server's family, the kernel's choice for TCP).
  bool open(Transport t, const stun::SocketAddress& server, const stun::SocketAddress& bind,
            std::string& error);
  void close();
  /// close(), but a TCP connection is reset (SO_LINGER 0) instead of leaving a TIME_WAIT socket
  /// behind: thousands of short connections a second would use up the ephemeral ports.
  void reset();

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  bool stream() const { return stream_; }
  /// A connected UDP socket got ECONNREFUSED: nothing listens on the server's port.
  bool refused() const { return refused_; }
  const std::string& error() const { return error_; }

  /// Sends one whole message: one datagram, or a frame appended to the stream (whatever the
  /// kernel does not take now is queued and goes out on a later send() or flush()).
  SendResult send(stun::Bytes message);
  /// Writes queued stream bytes; false when the stream is dead.
  bool flush();
  std::size_t queued() const { return tx_.size() - tx_head_; }

  /// Reads what is available and calls on_message(stun::Bytes) for each datagram or frame. False
  /// when the connection is dead (EOF, reset, bad framing); error() says why.
  template <typename F>
  bool receive(RecvScratch& scratch, F&& on_message);

 private:
  template <typename F>
  bool receive_datagrams(RecvScratch& scratch, F& on_message);
  template <typename F>
  bool receive_stream(RecvScratch& scratch, F& on_message);

  int fd_ = -1;
  bool stream_ = false;
  bool refused_ = false;
  std::string error_;
  std::vector<std::uint8_t> rx_;  ///< an incomplete frame carried over to the next read
  std::vector<std::uint8_t> tx_;  ///< stream bytes the kernel has not taken yet
  std::size_t tx_head_ = 0;
};

template <typename F>
bool Connection::receive(RecvScratch& scratch, F&& on_message) {
  return stream_ ? receive_stream(scratch, on_message) : receive_datagrams(scratch, on_message);
}

template <typename F>
bool Connection::receive_datagrams(RecvScratch& scratch, F& on_message) {
  // A few rounds at most, so that one busy socket does not starve the others in the epoll set.
  for (int round = 0; round < 4; ++round) {
    const int n = ::recvmmsg(fd_, scratch.msgs(), RecvScratch::kSlots, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == ECONNREFUSED)
        refused_ = true;
      return true;  // EAGAIN, or an error a connected UDP socket reports once and forgets
    }
    for (int i = 0; i < n; ++i) {
      const mmsghdr& m = scratch.msgs()[i];
      if ((m.msg_hdr.msg_flags & MSG_TRUNC) == 0)
        on_message(stun::Bytes(scratch.slot(static_cast<std::size_t>(i)), m.msg_len));
    }
    if (static_cast<std::size_t>(n) < RecvScratch::kSlots)
      return true;
  }
  return true;
}

template <typename F>
bool Connection::receive_stream(RecvScratch& scratch, F& on_message) {
  for (int round = 0; round < 4; ++round) {
    const ssize_t n = ::recv(fd_, scratch.stream(), scratch.stream_size(), MSG_DONTWAIT);
    if (n == 0) {
      error_ = "server closed the connection";
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return true;
      error_ = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    // Parse in place when nothing is carried over; otherwise append and parse the carry buffer.
    stun::Bytes data(scratch.stream(), static_cast<std::size_t>(n));
    if (!rx_.empty()) {
      rx_.insert(rx_.end(), data.begin(), data.end());
      data = stun::Bytes(rx_);
    }
    std::size_t pos = 0;
    for (;;) {
      auto frame = stun::next_frame(data.subspan(pos));
      if (!frame) {
        if (frame.error() != stun::ParseError::kIncomplete) {
          error_ =
              std::string("bad stream framing: ") + std::string(stun::to_string(frame.error()));
          return false;
        }
        break;
      }
      on_message(data.subspan(pos, frame->size));
      pos += frame->size;
    }
    if (data.data() == rx_.data()) {
      rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(pos));
    } else {
      rx_.assign(data.begin() + static_cast<std::ptrdiff_t>(pos), data.end());
    }
    if (static_cast<std::size_t>(n) < scratch.stream_size())
      return true;
  }
  return true;
}

}  // namespace load
