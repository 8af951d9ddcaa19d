// One recvmmsg batch: fixed buffers owned by a worker and reused for every socket it polls, so
// receiving allocates nothing (libuv caps at 32 per wakeup too, to avoid starving the loop).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>

#include "stun/address.hpp"
#include "stun/bytes.hpp"

namespace turn {

class RecvBatch {
 public:
  static constexpr std::size_t kMessages = 32;
  static constexpr std::size_t kSlotSize = 4096;  ///< larger datagrams are truncated and dropped

  RecvBatch();
  /// Reads up to kMessages datagrams; returns how many (0 when none are waiting).
  int receive(int fd);
  stun::Bytes data(int i) const { return {slots_[i].data(), msgs_[i].msg_len}; }
  bool truncated(int i) const { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  stun::SocketAddress source(int i) const;

 private:
  std::array<mmsghdr, kMessages> msgs_{};
  std::array<iovec, kMessages> iov_{};
  std::array<sockaddr_storage, kMessages> addrs_{};
  std::array<std::array<std::uint8_t, kSlotSize>, kMessages> slots_{};
};

}  // namespace turn
