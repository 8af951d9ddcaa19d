#include "worker/batch_pacer.hpp"

namespace turn {

std::uint32_t BatchPacer::after_iteration(std::uint64_t now_ns, std::uint32_t received,
                                          std::uint32_t max_delay_us) {
  if (window_start_ns_ == 0)
    window_start_ns_ = now_ns;
  window_count_ += received;
  const std::uint64_t elapsed = now_ns - window_start_ns_;
  if (elapsed >= kWindowNs) {
    rate_per_s_ = static_cast<double>(window_count_) * 1e9 / static_cast<double>(elapsed);
    window_start_ns_ = now_ns;
    window_count_ = 0;
  }
  if (received == 0)
    return 0;  // a timer or a signal woke the loop: nothing to learn, nothing to batch
  if (!paused_)
    unpaused_batch_ += (static_cast<double>(received) - unpaused_batch_) / 8;
  const double expected = rate_per_s_ * max_delay_us / 1e6;
  paused_ = max_delay_us != 0 && unpaused_batch_ < kSmallBatch && expected >= kMinExpected &&
            ++wakeups_ % kProbeEvery != 0;
  return paused_ ? max_delay_us : 0;
}

}  // namespace turn
