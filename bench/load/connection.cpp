#include "connection.hpp"

#include <unistd.h>

#include <cstring>
#include <utility>

#include "net.hpp"

namespace load {

RecvScratch::RecvScratch()
    : slots_(kSlots * kSlotSize), iovs_(kSlots), msgs_(kSlots), stream_(256 * 1024) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    iovs_[i] = {slot(i), kSlotSize};
    msgs_[i] = {};
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
}

Connection::Connection(Connection&& o) noexcept {
  *this = std::move(o);
}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    stream_ = o.stream_;
    refused_ = o.refused_;
    error_ = std::move(o.error_);
    rx_ = std::move(o.rx_);
    tx_ = std::move(o.tx_);
    tx_head_ = std::exchange(o.tx_head_, 0);
  }
  return *this;
}

bool Connection::open(Transport t, const stun::SocketAddress& server,
                      const stun::SocketAddress& bind, std::string& error) {
  close();
  stream_ = t == Transport::kTcp;
  refused_ = false;
  error_.clear();
  rx_.clear();
  tx_.clear();
  tx_head_ = 0;
  if (stream_) {
    fd_ = open_tcp(bind, server, 3000, error);
  } else {
    fd_ = open_udp(bind.empty() ? loopback_like(server) : bind, server, error);
    if (fd_ >= 0)
      set_buffers(fd_, 1 << 20);
  }
  return fd_ >= 0;
}

void Connection::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

void Connection::reset() {
  if (fd_ >= 0 && stream_) {
    const linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  close();
}

Connection::SendResult Connection::send(stun::Bytes message) {
  if (!stream_) {
    const ssize_t n = ::send(fd_, message.data(), message.size(), MSG_DONTWAIT);
    if (n >= 0)
      return SendResult::kOk;
    if (errno == ECONNREFUSED)
      refused_ = true;
    return SendResult::kDropped;
  }
  if (queued() > 0) {
    if (queued() + message.size() > kMaxQueued)
      return SendResult::kDropped;
    tx_.insert(tx_.end(), message.begin(), message.end());
    return flush() ? SendResult::kOk : SendResult::kError;
  }
  const ssize_t n = ::send(fd_, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  std::size_t done = 0;
  if (n >= 0) {
    done = static_cast<std::size_t>(n);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    error_ = std::string("send: ") + std::strerror(errno);
    return SendResult::kError;
  }
  // Keep the stream framed: the rest of a partly written frame must follow before anything else.
  tx_.insert(tx_.end(), message.begin() + static_cast<std::ptrdiff_t>(done), message.end());
  return SendResult::kOk;
}

bool Connection::flush() {
  while (queued() > 0) {
    const ssize_t n = ::send(fd_, tx_.data() + tx_head_, queued(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return true;
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    tx_head_ += static_cast<std::size_t>(n);
  }
  tx_.clear();
  tx_head_ = 0;
  return true;
}

}  // namespace load
