// bps-capacity (coturn): the bandwidth all running allocations may reserve together. Each
// allocation reserves max-bps while it runs; shared by every worker, touched on Allocate and on
// the allocation's end, never per packet.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "alloc/lease.hpp"

namespace turn {

class BandwidthPool {
 public:
  /// Reserves `bps` within `capacity` (0 = no cap); nullopt when it does not fit.
  std::optional<Lease> reserve(std::uint64_t bps, std::uint64_t capacity) {
    std::uint64_t now = reserved_.load(std::memory_order_relaxed);
    do {
      if (capacity != 0 && now + bps > capacity)
        return std::nullopt;
    } while (!reserved_.compare_exchange_weak(now, now + bps, std::memory_order_relaxed));
    return Lease(
        [](void* pool, std::uint64_t n) {
          static_cast<BandwidthPool*>(pool)->reserved_.fetch_sub(n, std::memory_order_relaxed);
        },
        this, bps);
  }
  /// True when reserving `bps` more would not fit `capacity` now (0 = no cap).
  bool full(std::uint64_t bps, std::uint64_t capacity) const {
    return capacity != 0 && reserved() + bps > capacity;
  }
  std::uint64_t reserved() const { return reserved_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> reserved_{0};
};

}  // namespace turn
