// Outgoing datagrams of one forwarder thread, queued while it handles one epoll wakeup and sent
// in as few system calls as the kernel allows: one sendmmsg per sending socket, and inside it one
// UDP GSO message (UDP_SEGMENT) for each run of datagrams that go to the same destination with the
// same size (a video burst). Every datagram is one contiguous buffer (its header was written into
// headroom in front of the payload), so a GSO message is just the datagrams' iovecs side by side:
// the kernel concatenates them and cuts the result every gso_size bytes, nothing is copied here.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace floorfwd {

struct SendStats {
  std::uint64_t datagrams = 0;  ///< datagrams the kernel accepted
  std::uint64_t dropped = 0;    ///< datagrams it refused (buffer full, unreachable, ...)
  std::uint64_t sendmmsg_calls = 0;
  std::uint64_t gso_messages = 0;  ///< GSO messages (each carrying 2+ datagrams)
  std::uint64_t gso_datagrams = 0;
};

class SendQueue {
 public:
  /// Datagrams one GSO message may carry (the kernel's UDP_MAX_SEGMENTS is 64 on older kernels)
  /// and the bytes it may hold (an IP datagram's limit).
  static constexpr std::size_t kMaxSegments = 64;
  static constexpr std::size_t kMaxGsoBytes = 65000;

  /// Queues one datagram; `data` and `dst` must stay valid until flush().
  void push(int fd, const sockaddr* dst, socklen_t dst_len, const std::uint8_t* data,
            std::size_t len);
  /// Sends everything queued, one socket at a time.
  void flush();
  std::size_t size() const { return entries_.size(); }
  bool gso_enabled() const { return gso_; }
  void set_gso_enabled(bool on) { gso_ = on; }
  const SendStats& stats() const { return stats_; }

 private:
  struct Entry {
    int fd;
    socklen_t dst_len;
    const sockaddr* dst;
    const std::uint8_t* data;
    std::uint32_t len;
    std::int32_t next;  ///< next entry of the same socket, -1 at the end
  };
  struct Chain {
    std::int32_t head = -1;
    std::int32_t tail = -1;
  };

  /// Sends the chain that starts at entry `first` on `fd`.
  void flush_socket(int fd, std::int32_t first);
  /// Fills msgs_ from the chain starting at `e`; returns the entry after the last one taken.
  std::int32_t build(std::int32_t e, std::size_t& count);
  bool same_run(const Entry& a, const Entry& b) const;

  std::vector<Entry> entries_;
  std::vector<Chain> chains_;  // by fd
  std::vector<int> touched_;   // fds with a chain, in first-use order

  // sendmmsg arguments, reused across flushes.
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<std::int32_t> first_entry_;  // per message: its first entry
  std::vector<std::uint8_t> control_;      // per message: room for one UDP_SEGMENT cmsg

  bool gso_ = true;  ///< false once the kernel refused a GSO send (EIO/EINVAL); never retried
  SendStats stats_;
};

}  // namespace floorfwd
