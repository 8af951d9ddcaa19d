// Relayed datagrams waiting to be sent, flushed once per loop iteration (and whenever the
// receive pool they point into runs out). Batching is where a relay saves kernel time, which is
// most of the per-packet bill: datagrams leaving one socket share a sendmmsg, and a run of
// equal-sized datagrams from one socket to one destination (a video frame's burst) goes down the
// stack as one UDP GSO send (UDP_SEGMENT, Linux 4.18), split into datagrams only at the device.
// Queued datagrams point into the receive buffers; nothing is copied and nothing is allocated.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstdint>

#include "stun/address.hpp"

namespace turn {

struct TxCounters {
  std::uint64_t calls = 0;        ///< sendmmsg/sendmsg system calls
  std::uint64_t datagrams = 0;    ///< datagrams handed to the kernel
  std::uint64_t gso_batches = 0;  ///< GSO sends carrying more than one datagram
  std::uint64_t errors = 0;       ///< datagrams dropped (EAGAIN: socket buffer full, and others)
};

class TxQueue {
 public:
  /// At least the receive pool's slot count: each received datagram yields at most one queued
  /// datagram, so the queue never fills before the pool it points into does.
  static constexpr std::size_t kCapacity = 256;
  /// The kernel's limit on segments per GSO send (UDP_MAX_SEGMENTS).
  static constexpr std::size_t kMaxSegments = 64;
  /// GSO payload limit: one IPv4 UDP datagram's worth.
  static constexpr std::size_t kMaxGsoBytes = 65507;

  TxQueue();
  /// Queues `len` bytes at `data` for `fd` to send to `to`. The bytes must stay untouched until
  /// flush(). When the queue is full the datagram is sent at once instead.
  void push(int fd, const stun::SocketAddress& to, const std::uint8_t* data, std::size_t len);
  /// Sends everything queued and empties the queue.
  void flush();
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  const TxCounters& counters() const { return counters_; }
  /// False once the kernel refused a GSO send (no UDP_SEGMENT, or a device without checksum
  /// offload): from then on each datagram is its own message.
  bool gso_enabled() const { return gso_enabled_; }
  void set_gso_enabled(bool on) { gso_enabled_ = on; }

 private:
  struct Entry {
    int fd;
    socklen_t namelen;
    sockaddr_storage to;
  };
  /// How many entries from `first` can go as one GSO send.
  std::size_t gso_run(std::size_t first, std::size_t end) const;
  /// Sends entries [first, end), which all leave through one fd.
  void send_group(std::size_t first, std::size_t end);
  /// Sends the prepared messages [0, count) with sendmmsg, resending GSO messages the kernel
  /// refused as plain datagrams.
  void submit(int fd, std::size_t count);
  void send_one(std::size_t entry);

  std::array<Entry, kCapacity> entries_{};
  std::array<iovec, kCapacity> iov_{};  ///< entry i's bytes; contiguous so a GSO run is a slice
  std::size_t size_ = 0;

  // Per-group scratch: one message per datagram or per GSO run.
  std::array<mmsghdr, kCapacity> msgs_{};
  std::array<std::size_t, kCapacity> msg_first_{};  ///< first entry of each message
  std::array<std::size_t, kCapacity> msg_count_{};  ///< entries in each message
  struct alignas(cmsghdr) GsoControl {
    std::uint8_t bytes[CMSG_SPACE(sizeof(std::uint16_t))];
  };
  std::array<GsoControl, kCapacity> control_{};
  bool gso_enabled_ = true;
  TxCounters counters_;
};

}  // namespace turn
