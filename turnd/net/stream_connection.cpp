#include "net/stream_connection.hpp"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace turn {
namespace {

/// A fresh connection's input buffer; it grows only for large frames or bursts.
constexpr std::size_t kInitialInput = 2048;
/// An emptied buffer bigger than this is given back, so idle connections stay small.
constexpr std::size_t kKeepCapacity = 16 * 1024;

}  // namespace

StreamConnection::StreamConnection(StreamConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      tls_failed_(other.tls_failed_),
      read_wants_write_(other.read_wants_write_),
      in_(std::move(other.in_)),
      in_begin_(std::exchange(other.in_begin_, 0)),
      in_end_(std::exchange(other.in_end_, 0)),
      out_(std::move(other.out_)),
      out_begin_(std::exchange(other.out_begin_, 0)) {}

StreamConnection::~StreamConnection() {
  if (ssl_ != nullptr)
    SSL_free(ssl_);
  if (fd_ >= 0)
    ::close(fd_);
}

int StreamConnection::peek_first_byte() const {
  std::uint8_t first = 0;
  const ssize_t n = ::recv(fd_, &first, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 1)
    return first;
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
    return -2;
  return -1;
}

bool StreamConnection::start_tls(SSL_CTX* ctx) {
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1)
    return false;
  SSL_set_accept_state(ssl_);
  return true;
}

bool StreamConnection::established() const {
  return ssl_ == nullptr || SSL_is_init_finished(ssl_);
}

const char* StreamConnection::tls_version() const {
  return ssl_ == nullptr ? "" : SSL_get_version(ssl_);
}

std::size_t StreamConnection::make_room(std::size_t want) {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
    if (in_.size() > kKeepCapacity) {
      in_.resize(kKeepCapacity);  // a burst is over: give the memory back
      in_.shrink_to_fit();
    }
  } else if (in_begin_ != 0 && in_.size() - in_end_ < want) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_.size() - in_end_ < want && in_.size() < kMaxInputBytes) {
    const std::size_t grown = std::max(in_.size() * 2, kInitialInput);
    in_.resize(std::min(std::max(grown, in_end_ + want), kMaxInputBytes));
  }
  return in_.size() - in_end_;
}

StreamConnection::ReadStatus StreamConnection::read(std::size_t budget) {
  return ssl_ == nullptr ? read_plain(budget) : read_tls(budget);
}

StreamConnection::ReadStatus StreamConnection::read_plain(std::size_t budget) {
  ReadStatus status = ReadStatus::kNothing;
  while (budget > 0) {
    const std::size_t room = std::min(make_room(kInitialInput), budget);
    if (room == 0)
      break;  // a full buffer: the caller cuts frames and calls again
    const ssize_t n = ::recv(fd_, in_.data() + in_end_, room, MSG_DONTWAIT);
    if (n > 0) {
      in_end_ += static_cast<std::size_t>(n);
      budget -= static_cast<std::size_t>(n);
      status = ReadStatus::kData;
      if (static_cast<std::size_t>(n) < room)
        break;  // drained the socket
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      break;
    return ReadStatus::kClosed;  // orderly shutdown or a reset
  }
  return status;
}

StreamConnection::ReadStatus StreamConnection::read_tls(std::size_t budget) {
  ReadStatus status = ReadStatus::kNothing;
  read_wants_write_ = false;
  while (budget > 0) {
    const std::size_t room = std::min(make_room(kInitialInput), budget);
    if (room == 0)
      break;
    const int n = SSL_read(ssl_, in_.data() + in_end_,
                           static_cast<int>(std::min<std::size_t>(room, 1 << 30)));
    if (n > 0) {
      in_end_ += static_cast<std::size_t>(n);
      budget -= static_cast<std::size_t>(n);
      status = ReadStatus::kData;
      continue;
    }
    switch (SSL_get_error(ssl_, n)) {
      case SSL_ERROR_WANT_READ:
        return status;
      case SSL_ERROR_WANT_WRITE:
        read_wants_write_ = true;
        return status;
      case SSL_ERROR_ZERO_RETURN:
        return ReadStatus::kClosed;  // close_notify
      default:
        // A failed handshake (bad ClientHello, no client certificate with CA-file) or a
        // corrupt record. The error queue is per thread: clear it for the next connection.
        tls_failed_ = true;
        ERR_clear_error();
        return ReadStatus::kClosed;
    }
  }
  return status;
}

bool StreamConnection::queue(stun::Bytes message, bool pad_to_4) {
  const std::size_t padding = pad_to_4 ? (4 - message.size() % 4) % 4 : 0;
  if (buffered_output() + message.size() + padding > kMaxOutputBytes)
    return false;
  if (out_begin_ == out_.size()) {
    out_.clear();
    out_begin_ = 0;
  }
  out_.insert(out_.end(), message.begin(), message.end());
  out_.insert(out_.end(), padding, 0);
  return true;
}

StreamConnection::WriteStatus StreamConnection::write() {
  while (has_output()) {
    const std::size_t left = buffered_output();
    if (ssl_ == nullptr) {
      const ssize_t n = ::send(fd_, out_.data() + out_begin_, left, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
          return WriteStatus::kPending;
        return WriteStatus::kFailed;
      }
      out_begin_ += static_cast<std::size_t>(n);
      continue;
    }
    // SSL_MODE_ENABLE_PARTIAL_WRITE and ACCEPT_MOVING_WRITE_BUFFER (TlsContext) let a retry
    // pass the same bytes from a buffer that has grown since.
    const int n = SSL_write(ssl_, out_.data() + out_begin_,
                            static_cast<int>(std::min<std::size_t>(left, 1 << 30)));
    if (n > 0) {
      out_begin_ += static_cast<std::size_t>(n);
      continue;
    }
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ)
      return WriteStatus::kPending;
    tls_failed_ = true;
    ERR_clear_error();
    return WriteStatus::kFailed;
  }
  out_.clear();
  out_begin_ = 0;
  if (out_.capacity() > kKeepCapacity)
    out_.shrink_to_fit();
  return WriteStatus::kDone;
}

}  // namespace turn
