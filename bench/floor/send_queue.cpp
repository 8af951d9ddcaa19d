#include "send_queue.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace floorfwd {

namespace {

constexpr std::size_t kMaxMessages = 1024;  // per sendmmsg call (UIO_MAXIOV)
constexpr std::size_t kMaxIovs = 4096;
constexpr std::size_t kControlSize = CMSG_SPACE(sizeof(std::uint16_t));

}  // namespace

void SendQueue::push(int fd, const sockaddr* dst, socklen_t dst_len, const std::uint8_t* data,
                     std::size_t len) {
  if (static_cast<std::size_t>(fd) >= chains_.size())
    chains_.resize(static_cast<std::size_t>(fd) + 1);
  const auto index = static_cast<std::int32_t>(entries_.size());
  entries_.push_back({fd, dst_len, dst, data, static_cast<std::uint32_t>(len), -1});
  Chain& c = chains_[static_cast<std::size_t>(fd)];
  if (c.head < 0) {
    c.head = index;
    touched_.push_back(fd);
  } else {
    entries_[static_cast<std::size_t>(c.tail)].next = index;
  }
  c.tail = index;
}

bool SendQueue::same_run(const Entry& a, const Entry& b) const {
  return a.len == b.len && a.dst_len == b.dst_len &&
         (a.dst == b.dst || std::memcmp(a.dst, b.dst, a.dst_len) == 0);
}

std::int32_t SendQueue::build(std::int32_t e, std::size_t& count) {
  if (msgs_.empty()) {
    msgs_.resize(kMaxMessages);
    iovs_.resize(kMaxIovs);
    first_entry_.resize(kMaxMessages);
    control_.resize(kMaxMessages * kControlSize);
  }
  count = 0;
  std::size_t iov_used = 0;
  while (e >= 0 && count < kMaxMessages && iov_used + kMaxSegments <= kMaxIovs) {
    const Entry& first = entries_[static_cast<std::size_t>(e)];
    iovs_[iov_used] = {const_cast<std::uint8_t*>(first.data), first.len};
    std::size_t segments = 1;
    std::size_t bytes = first.len;
    std::int32_t n = first.next;
    if (gso_) {
      while (n >= 0 && segments < kMaxSegments) {
        const Entry& next = entries_[static_cast<std::size_t>(n)];
        if (bytes + next.len > kMaxGsoBytes || !same_run(first, next))
          break;
        iovs_[iov_used + segments++] = {const_cast<std::uint8_t*>(next.data), next.len};
        bytes += next.len;
        n = next.next;
      }
    }
    mmsghdr& m = msgs_[count];
    m = {};
    m.msg_hdr.msg_name = const_cast<sockaddr*>(first.dst);
    m.msg_hdr.msg_namelen = first.dst_len;
    m.msg_hdr.msg_iov = &iovs_[iov_used];
    m.msg_hdr.msg_iovlen = segments;
    if (segments > 1) {
      // UDP_SEGMENT as a cmsg sets gso_size for this one message only (udp(7)).
      std::uint8_t* control = control_.data() + count * kControlSize;
      std::memset(control, 0, kControlSize);
      m.msg_hdr.msg_control = control;
      m.msg_hdr.msg_controllen = kControlSize;
      cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
      const auto gso_size = static_cast<std::uint16_t>(first.len);
      std::memcpy(CMSG_DATA(c), &gso_size, sizeof(gso_size));
    }
    first_entry_[count] = e;
    iov_used += segments;
    ++count;
    e = n;
  }
  return e;
}

void SendQueue::flush_socket(int fd, std::int32_t e) {
  while (e >= 0) {
    std::size_t count = 0;
    std::int32_t next = build(e, count);
    std::size_t done = 0;
    while (done < count) {
      ++stats_.sendmmsg_calls;
      const int r =
          ::sendmmsg(fd, msgs_.data() + done, static_cast<unsigned>(count - done), MSG_DONTWAIT);
      if (r > 0) {
        for (std::size_t i = done; i < done + static_cast<std::size_t>(r); ++i) {
          const std::size_t segments = msgs_[i].msg_hdr.msg_iovlen;
          stats_.datagrams += segments;
          if (segments > 1) {
            ++stats_.gso_messages;
            stats_.gso_datagrams += segments;
          }
        }
        done += static_cast<std::size_t>(r);
        continue;
      }
      const int err = errno;
      const std::size_t segments = msgs_[done].msg_hdr.msg_iovlen;
      if (segments > 1 && (err == EIO || err == EINVAL)) {
        // No GSO here (old kernel, a device without checksum offload): from now on one datagram
        // per message, starting again with this message's datagrams.
        gso_ = false;
        std::cerr << "turnd_floor: UDP GSO refused (" << std::strerror(err)
                  << "), sending datagrams one by one\n";
        next = first_entry_[done];
        break;
      }
      stats_.dropped += segments;  // buffer full or unreachable: drop it, like a relay would
      ++done;
    }
    e = next;
  }
}

void SendQueue::flush() {
  for (int fd : touched_) {
    Chain& c = chains_[static_cast<std::size_t>(fd)];
    flush_socket(fd, c.head);
    c = {};
  }
  touched_.clear();
  entries_.clear();
}

}  // namespace floorfwd
