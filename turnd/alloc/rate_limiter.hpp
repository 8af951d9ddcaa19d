// A token bucket in bytes, for coturn's max-bps: each allocation may relay at most `rate`
// bytes a second in each direction, with up to one second's worth in a burst. Refilled from
// the loop's cached clock; a few integer operations per packet, no allocation.
#pragma once

#include <algorithm>
#include <cstdint>

namespace turn {

class RateLimiter {
 public:
  /// `bytes_per_second` 0 = unlimited.
  void set_rate(std::uint64_t bytes_per_second, std::uint64_t now_ms) {
    rate_ = bytes_per_second;
    tokens_ = bytes_per_second;
    last_ms_ = now_ms;
  }
  std::uint64_t rate() const { return rate_; }

  /// Takes `bytes` from the bucket; false (and nothing taken) when there are not enough.
  bool allow(std::uint64_t bytes, std::uint64_t now_ms) {
    if (rate_ == 0)
      return true;
    if (now_ms > last_ms_) {
      tokens_ = std::min(rate_, tokens_ + (now_ms - last_ms_) * rate_ / 1000);
      last_ms_ = now_ms;
    }
    if (bytes > tokens_)
      return false;
    tokens_ -= bytes;
    return true;
  }

 private:
  std::uint64_t rate_ = 0;
  std::uint64_t tokens_ = 0;
  std::uint64_t last_ms_ = 0;
};

}  // namespace turn
