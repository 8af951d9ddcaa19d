// Receive buffers for recvmmsg: a pool of fixed slots owned by a worker and reused for every
// socket it polls, so receiving allocates nothing (libuv also caps at 32 per wakeup, to avoid
// starving the loop). Each slot has headroom in front of the datagram and tailroom after it, so
// the relay path writes a ChannelData or Data-indication header (and padding) around the payload
// where it lies and sends it as one piece, without copying it. Received datagrams stay valid
// until release_all(), which the worker calls once their relayed copies are flushed.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>

#include "stun/address.hpp"
#include "stun/bytes.hpp"

namespace turn {

class RecvBatch {
 public:
  static constexpr std::size_t kMessages = 32;    ///< datagrams per recvmmsg
  static constexpr std::size_t kSlots = 128;      ///< four recvmmsg batches before a flush
  static constexpr std::size_t kSlotSize = 4096;  ///< larger datagrams are truncated, dropped
  /// Fits the largest Data indication header: 20 (STUN) + 24 (IPv6 XOR-PEER-ADDRESS) + 4 (DATA).
  static constexpr std::size_t kHeadroom = 64;
  static constexpr std::size_t kTailroom = 4;  ///< Data indication padding (RFC 8489 §14)

  RecvBatch();
  /// Whether a full batch fits in the unused slots; when not, flush and release_all() first.
  bool has_room() const { return next_ + kMessages <= kSlots; }
  /// Reads up to kMessages datagrams into unused slots; returns how many (0 when none wait).
  /// Indexes 0..n-1 of data()/source()/truncated() refer to this batch until the next call.
  int receive(int fd);
  /// The datagram, with kHeadroom writable bytes before data() and kTailroom after its end.
  stun::MutableBytes data(int i) {
    return {slots_[base_ + i].bytes + kHeadroom, msgs_[base_ + i].msg_len};
  }
  bool truncated(int i) const { return (msgs_[base_ + i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  stun::SocketAddress source(int i) const;
  /// Every slot may be reused: nothing refers to received datagrams any more.
  void release_all() { next_ = 0; }

 private:
  struct Slot {
    alignas(64) std::uint8_t bytes[kHeadroom + kSlotSize + kTailroom];
  };
  /// Sockets here are AF_INET or AF_INET6 only, so a sockaddr_in6 holds any source address.
  union SourceAddress {
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  // One header, iovec and address per slot, wired once: a receive only restores the name
  // lengths of the slots it filled (a relay socket usually holds a single datagram, so the
  // cost per call matters as much as the cost per datagram).
  std::array<mmsghdr, kSlots> msgs_{};
  std::array<iovec, kSlots> iov_{};
  std::array<SourceAddress, kSlots> addrs_{};
  std::array<Slot, kSlots> slots_;  ///< not zeroed: only bytes recvmmsg wrote are ever read
  std::size_t base_ = 0;            ///< first slot of the latest batch
  std::size_t next_ = 0;            ///< first unused slot
};

}  // namespace turn
