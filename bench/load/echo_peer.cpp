#include "echo_peer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <vector>

#include "net.hpp"

namespace load {

namespace {

constexpr std::size_t kBatch = 256;
constexpr std::size_t kSlotSize = 9216;  // payloads are at most 8192 bytes

}  // namespace

bool EchoPeer::open(const stun::SocketAddress& bind_to, std::string& error) {
  fd_ = open_udp(bind_to, {}, error);
  if (fd_ < 0)
    return false;
  // Blocking with a receive timeout: recvmmsg(MSG_WAITFORONE) sleeps until the first datagram,
  // then takes whatever else is queued, and the timeout lets the thread notice stop().
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  timeval tv{0, 100'000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  set_buffers(fd_, 8 << 20);
  address_ = local_address(fd_);
  return true;
}

void EchoPeer::start(const Window& window) {
  thread_ = std::thread([this, &window] {
    ::pthread_setname_np(::pthread_self(), "load-echo-peer");
    run(window);
  });
}

void EchoPeer::stop() {
  stop_.store(true);
  if (thread_.joinable())
    thread_.join();
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

void EchoPeer::run(const Window& window) {
  std::vector<std::uint8_t> buffers(kBatch * kSlotSize);
  std::vector<sockaddr_storage> from(kBatch);
  std::vector<iovec> iovs(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  auto reset = [&](std::size_t i) {
    iovs[i] = {buffers.data() + i * kSlotSize, kSlotSize};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  };
  for (std::size_t i = 0; i < kBatch; ++i)
    reset(i);
  while (!stop_.load(std::memory_order_relaxed)) {
    const int n = ::recvmmsg(fd_, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0)
      continue;  // the receive timeout: look at stop_ again
    std::uint64_t counted = 0;
    for (int i = 0; i < n; ++i) {
      auto& m = msgs[static_cast<std::size_t>(i)];
      iovs[static_cast<std::size_t>(i)].iov_len = m.msg_len;  // echo exactly what came
      Stamp s;
      if (read_stamp(buffers.data() + static_cast<std::size_t>(i) * kSlotSize, m.msg_len, s) &&
          window.contains(s.sent_ns))
        ++counted;
    }
    received_.fetch_add(counted, std::memory_order_relaxed);
    int done = 0;
    while (done < n) {
      const int sent =
          ::sendmmsg(fd_, msgs.data() + done, static_cast<unsigned>(n - done), MSG_DONTWAIT);
      if (sent <= 0) {
        ++done;  // drop the datagram the kernel refused and carry on with the rest
        continue;
      }
      done += sent;
    }
    // Only the entries this batch used were changed (address length, iov length).
    for (int i = 0; i < n; ++i)
      reset(static_cast<std::size_t>(i));
  }
}

}  // namespace load
