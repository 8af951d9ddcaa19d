// Lets the receiver wake the flat-shape sender when it has freed window slots, at most once per
// receive round and only when the sender is actually asleep: an eventfd write costs a syscall, so
// it must not happen per packet.
#pragma once

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "clock.hpp"

namespace load {

class Wakeup {
 public:
  Wakeup() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Wakeup() { ::close(fd_); }
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  /// Sender: about to sleep. It must look for work once more after arming, or a wake-up sent
  /// between its last look and arm() would be lost.
  void arm() { asleep_.store(true, std::memory_order_seq_cst); }
  void disarm() { asleep_.store(false, std::memory_order_relaxed); }
  /// Sender: sleeps until notify() or `timeout_ns`.
  void wait(std::uint64_t timeout_ns) {
    pollfd p{fd_, POLLIN, 0};
    const timespec ts = to_timespec(timeout_ns);
    ::ppoll(&p, 1, &ts, nullptr);
    std::uint64_t drained;
    [[maybe_unused]] const ssize_t r = ::read(fd_, &drained, sizeof(drained));
    disarm();
  }
  /// Receiver: wakes the sender if it sleeps.
  void notify() {
    if (asleep_.exchange(false, std::memory_order_seq_cst)) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t r = ::write(fd_, &one, sizeof(one));
    }
  }

 private:
  int fd_;
  std::atomic<bool> asleep_{false};
};

}  // namespace load
