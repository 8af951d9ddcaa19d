#include "net/recv_batch.hpp"

namespace turn {

RecvBatch::RecvBatch() {
  for (std::size_t i = 0; i < kSlots; ++i) {
    iov_[i] = {slots_[i].bytes + kHeadroom, kSlotSize};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(SourceAddress);
  }
}

int RecvBatch::receive(int fd) {
  if (!has_room())
    return 0;  // the caller flushes first; never overwrite datagrams still queued for sending
  base_ = next_;
  const int n = ::recvmmsg(fd, &msgs_[base_], kMessages, MSG_DONTWAIT, nullptr);
  if (n <= 0)
    return 0;
  next_ = base_ + static_cast<std::size_t>(n);
  // The kernel shortened the name lengths of the slots it filled; restore them now, so every
  // slot is ready for any later batch without touching the ones this call did not use.
  for (std::size_t i = base_; i < next_; ++i)
    msgs_[i].msg_hdr.msg_namelen = sizeof(SourceAddress);
  return n;
}

stun::SocketAddress RecvBatch::source(int i) const {
  return stun::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&addrs_[base_ + i]))
      .value_or(stun::SocketAddress{});
}

}  // namespace turn
