#include "net/recv_batch.hpp"

namespace turn {

RecvBatch::RecvBatch() {
  for (std::size_t i = 0; i < kMessages; ++i) {
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
  }
}

int RecvBatch::receive(int fd) {
  base_ = next_;
  for (std::size_t i = 0; i < kMessages; ++i) {
    iov_[i] = {slots_[base_ + i].bytes + kHeadroom, kSlotSize};
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_flags = 0;
  }
  const int n = ::recvmmsg(fd, msgs_.data(), kMessages, MSG_DONTWAIT, nullptr);
  if (n <= 0)
    return 0;
  next_ = base_ + static_cast<std::size_t>(n);
  return n;
}

stun::SocketAddress RecvBatch::source(int i) const {
  return stun::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&addrs_[i]))
      .value_or(stun::SocketAddress{});
}

}  // namespace turn
