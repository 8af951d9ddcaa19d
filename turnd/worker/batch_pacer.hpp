// Userspace interrupt moderation for a worker loop, like a NIC's rx-usecs, held to a latency
// budget. On this class of machine most of a relayed packet's cost is the kernel's, and a large
// share of that is the worker sleeping in epoll and being woken for every one or two datagrams.
// Under load, pausing briefly after a small batch lets more datagrams queue so the next wakeup,
// recvmmsg and sendmmsg each carry several. The pause is a packet's added delay: one that
// arrives as the pause starts waits all of it, once per pass through the relay (twice on a
// round trip). So the pause never exceeds the budget (`relay-coalesce-us`), the budget is held
// by what the pauses really took (the sleep's measured overshoot is taken off the next
// request), and within it the pause is only as long as it takes the measured rate to deliver a
// full batch. It only happens when the rate says the pause will gather datagrams (at low rates
// it would add wakeups, not save them) and when wakeups left alone carry small batches
// (datagrams spread out, as audio is; video bursts already batch), so an idle or lightly loaded
// server adds no latency. Offloaded channels never reach the loop, so they are never paced.
#pragma once

#include <cstdint>

namespace turn {

class BatchPacer {
 public:
  /// Wakeups that carry this many datagrams on average gain little from waiting for more.
  static constexpr std::uint32_t kSmallBatch = 4;
  /// A pause aims to gather this many datagrams; longer only adds delay.
  static constexpr double kTargetBatch = 8.0;
  /// Every this many wakeups one runs without a pause, to keep measuring unpaused batches.
  static constexpr std::uint32_t kProbeEvery = 16;
  /// Pause only when at least this many datagrams are expected to arrive meanwhile.
  static constexpr double kMinExpected = 1.0;
  /// The rate is re-estimated over windows of this length.
  static constexpr std::uint64_t kWindowNs = 10'000'000;

  /// Called once per loop iteration with the datagrams it received; returns how many
  /// nanoseconds to pause before polling again (0: poll at once). `budget_us` is the most a
  /// pause may hold a packet, overshoot included; 0 disables pausing.
  std::uint64_t after_iteration(std::uint64_t now_ns, std::uint32_t received,
                                std::uint32_t budget_us);
  /// Reports how long a pause of `requested_ns` really took, so later requests leave room for
  /// the sleep's overshoot (timer slack, scheduling) within the budget.
  void paused(std::uint64_t requested_ns, std::uint64_t took_ns);

  /// Datagrams per second over the last full window.
  double rate() const { return rate_per_s_; }
  /// Average datagrams per wakeup when no pause preceded it.
  double unpaused_batch() const { return unpaused_batch_; }
  /// Average nanoseconds a pause took beyond what was asked.
  double overshoot_ns() const { return overshoot_ns_; }

 private:
  std::uint64_t window_start_ns_ = 0;
  std::uint64_t window_count_ = 0;
  double rate_per_s_ = 0;
  double unpaused_batch_ = kSmallBatch;  ///< exponential average, weight 1/8
  double overshoot_ns_ = 0;              ///< exponential average, weight 1/8
  bool paused_ = false;                  ///< whether the last iteration paused
  bool paused_in_window_ = false;        ///< whether any iteration of this window paused
  std::uint32_t wakeups_ = 0;
};

}  // namespace turn
