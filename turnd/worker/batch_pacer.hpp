// Userspace interrupt moderation for a worker loop, like a NIC's rx-usecs. On this class of
// machine most of a relayed packet's cost is the kernel's, and a large share of that is the
// worker sleeping in epoll and being woken for every one or two datagrams. Under load, pausing
// briefly after a small batch lets more datagrams queue so the next wakeup, recvmmsg and
// sendmmsg each carry several: measured in bench/, 200 us cuts the CPU per audio packet by about
// a third at 20k packets/s. The pause only happens when the recent rate says it will gather
// datagrams (at low rates it would add wakeups, not save them) and when wakeups left alone carry
// small batches (datagrams spread out, as audio is; video bursts already batch, and pausing there
// costs more than it saves), so an idle or lightly loaded server adds no latency; the most it
// adds to a packet is the configured delay.
#pragma once

#include <cstdint>

namespace turn {

class BatchPacer {
 public:
  /// Wakeups that carry this many datagrams on average gain little from waiting for more.
  static constexpr std::uint32_t kSmallBatch = 4;
  /// Every this many wakeups one runs without a pause, to keep measuring unpaused batches.
  static constexpr std::uint32_t kProbeEvery = 16;
  /// Pause only when at least this many datagrams are expected to arrive meanwhile.
  static constexpr double kMinExpected = 2.0;
  /// The rate is re-estimated over windows of this length.
  static constexpr std::uint64_t kWindowNs = 10'000'000;

  /// Called once per loop iteration with the datagrams it received; returns how many
  /// microseconds to pause before polling again (0: poll at once). `max_delay_us` 0 disables.
  std::uint32_t after_iteration(std::uint64_t now_ns, std::uint32_t received,
                                std::uint32_t max_delay_us);
  /// Datagrams per second over the last full window.
  double rate() const { return rate_per_s_; }
  /// Average datagrams per wakeup when no pause preceded it.
  double unpaused_batch() const { return unpaused_batch_; }

 private:
  std::uint64_t window_start_ns_ = 0;
  std::uint64_t window_count_ = 0;
  double rate_per_s_ = 0;
  double unpaused_batch_ = kSmallBatch;  ///< exponential average, weight 1/8
  bool paused_ = false;                  ///< whether the last iteration paused
  std::uint32_t wakeups_ = 0;
};

}  // namespace turn
