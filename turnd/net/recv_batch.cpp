#include "net/recv_batch.hpp"

namespace turn {

RecvBatch::RecvBatch() {
  for (std::size_t i = 0; i < kMessages; ++i) {
    iov_[i] = {slots_[i].data(), kSlotSize};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
  }
}

int RecvBatch::receive(int fd) {
  for (std::size_t i = 0; i < kMessages; ++i) {
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_flags = 0;
  }
  const int n = ::recvmmsg(fd, msgs_.data(), kMessages, MSG_DONTWAIT, nullptr);
  return n < 0 ? 0 : n;
}

stun::SocketAddress RecvBatch::source(int i) const {
  return stun::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&addrs_[i]))
      .value_or(stun::SocketAddress{});
}

}  // namespace turn
