#include "worker/batch_pacer.hpp"

#include <algorithm>

namespace turn {

std::uint64_t BatchPacer::after_iteration(std::uint64_t now_ns, std::uint32_t received,
                                          std::uint32_t budget_us) {
  if (window_start_ns_ == 0)
    window_start_ns_ = now_ns;
  window_count_ += received;
  const std::uint64_t elapsed = now_ns - window_start_ns_;
  if (elapsed >= kWindowNs) {
    rate_per_s_ = static_cast<double>(window_count_) * 1e9 / static_cast<double>(elapsed);
    window_start_ns_ = now_ns;
    window_count_ = 0;
    // Only pauses measure the overshoot: one that once exceeded the budget would stop them for
    // good, so a window without pauses halves it and a short pause is tried again.
    if (!paused_in_window_)
      overshoot_ns_ /= 2;
    paused_in_window_ = false;
  }
  if (received == 0)
    return 0;  // a timer or a signal woke the loop: nothing to learn, nothing to batch
  if (!paused_)
    unpaused_batch_ += (static_cast<double>(received) - unpaused_batch_) / 8;
  paused_ = false;
  if (budget_us == 0 || rate_per_s_ <= 0 || unpaused_batch_ >= kSmallBatch ||
      ++wakeups_ % kProbeEvery == 0)
    return 0;
  // What the budget leaves once the sleep's usual overshoot is counted, and no longer than a
  // full batch takes to arrive at the current rate.
  const double room_ns = static_cast<double>(budget_us) * 1e3 - overshoot_ns_;
  const double pause_ns = std::min(room_ns, kTargetBatch * 1e9 / rate_per_s_);
  if (pause_ns <= 0 || rate_per_s_ * pause_ns / 1e9 < kMinExpected)
    return 0;
  paused_ = true;
  paused_in_window_ = true;
  return static_cast<std::uint64_t>(pause_ns);
}

void BatchPacer::paused(std::uint64_t requested_ns, std::uint64_t took_ns) {
  const double over = took_ns > requested_ns ? static_cast<double>(took_ns - requested_ns) : 0.0;
  overshoot_ns_ += (over - overshoot_ns_) / 8;
}

}  // namespace turn
