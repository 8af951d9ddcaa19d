#include "net/tx_queue.hpp"

#include <netinet/udp.h>

#include <cerrno>
#include <cstring>

#include "net/udp_socket.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103  // linux/udp.h; older libc headers lack it
#endif

namespace turn {

TxQueue::TxQueue() {
  for (auto& m : msgs_)
    m.msg_hdr = msghdr{};
}

void TxQueue::push(int fd, const stun::SocketAddress& to, const std::uint8_t* data,
                   std::size_t len) {
  if (size_ == kCapacity) {
    // Not reached while the capacity covers the receive pool; if it were, sending the newest
    // queued datagram now to make room keeps every datagram.
    send_one(--size_);
  }
  Entry& e = entries_[size_];
  e.fd = fd;
  e.namelen = to.to_sockaddr(e.to);
  iov_[size_] = {const_cast<std::uint8_t*>(data), len};
  ++size_;
}

void TxQueue::flush() {
  std::size_t first = 0;
  while (first < size_) {
    std::size_t end = first + 1;
    while (end < size_ && entries_[end].fd == entries_[first].fd)
      ++end;
    send_group(first, end);
    first = end;
  }
  size_ = 0;
}

std::size_t TxQueue::gso_run(std::size_t first, std::size_t end) const {
  if (!gso_enabled_)
    return 1;
  const Entry& head = entries_[first];
  const std::size_t segment = iov_[first].iov_len;
  std::size_t total = segment;
  std::size_t n = 1;
  while (first + n < end && n < kMaxSegments) {
    const Entry& e = entries_[first + n];
    const std::size_t len = iov_[first + n].iov_len;
    // Every segment but the last must be exactly gso_size; the last may be shorter.
    if (len > segment || total + len > kMaxGsoBytes || e.namelen != head.namelen ||
        std::memcmp(&e.to, &head.to, head.namelen) != 0)
      break;
    total += len;
    ++n;
    if (len < segment)
      break;
  }
  return n;
}

void TxQueue::send_group(std::size_t first, std::size_t end) {
  std::size_t count = 0;
  for (std::size_t i = first; i < end;) {
    const std::size_t run = gso_run(i, end);
    msghdr& h = msgs_[count].msg_hdr;
    h = msghdr{};
    h.msg_name = &entries_[i].to;
    h.msg_namelen = entries_[i].namelen;
    h.msg_iov = &iov_[i];
    h.msg_iovlen = run;
    if (run > 1) {
      // UDP_SEGMENT as a cmsg sets gso_size for this message only (udp(7)).
      h.msg_control = control_[count].bytes;
      h.msg_controllen = sizeof(control_[count].bytes);
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
      const auto size = static_cast<std::uint16_t>(iov_[i].iov_len);
      std::memcpy(CMSG_DATA(c), &size, sizeof(size));
    }
    msg_first_[count] = i;
    msg_count_[count] = run;
    ++count;
    i += run;
  }
  submit(entries_[first].fd, count);
}

void TxQueue::submit(int fd, std::size_t count) {
  std::size_t i = 0;
  while (i < count) {
    ++counters_.calls;
    const int sent = ::sendmmsg(fd, &msgs_[i], static_cast<unsigned>(count - i), MSG_DONTWAIT);
    if (sent > 0) {
      for (std::size_t k = i; k < i + static_cast<std::size_t>(sent); ++k) {
        counters_.datagrams += msg_count_[k];
        if (msg_count_[k] > 1)
          ++counters_.gso_batches;
      }
      i += static_cast<std::size_t>(sent);
      continue;
    }
    const int error = errno;
    if (error == EINTR)
      continue;
    if (msg_count_[i] > 1 && (error == EIO || error == EINVAL || error == ENOPROTOOPT)) {
      // EIO: the device cannot checksum-offload, so GSO will never work here. EINVAL: this run
      // is too big for the route's MTU; a plain datagram may still go.
      if (error != EINVAL)
        gso_enabled_ = false;
      for (std::size_t k = 0; k < msg_count_[i]; ++k)
        send_one(msg_first_[i] + k);
      ++i;
      continue;
    }
    if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
      // The socket buffer is full: the rest of this socket's batch would fail the same way.
      for (; i < count; ++i)
        counters_.errors += msg_count_[i];
      return;
    }
    counters_.errors += msg_count_[i];  // e.g. ECONNREFUSED from an ICMP error: just this one
    ++i;
  }
}

void TxQueue::send_one(std::size_t entry) {
  const Entry& e = entries_[entry];
  ++counters_.calls;
  if (!send_datagram(e.fd, e.to, e.namelen,
                     {static_cast<const std::uint8_t*>(iov_[entry].iov_base), iov_[entry].iov_len}))
    ++counters_.errors;
  else
    ++counters_.datagrams;
}

}  // namespace turn
