// Per-source budgets of "so many a second" (coturn 4.14's 401 rate limit, docs/401-ratelimit.md,
// and turnd's pre-authentication request cap): a fixed, direct-mapped table of one-second
// windows indexed by the source's hash, shared by every worker and lock-free. No allocation,
// no growth, no eviction: a source that hashes onto a bucket another live source holds shares
// that budget (it can never get a fresh one by colliding), which is counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "net/source_key.hpp"

namespace turn {

class SourceRateTable {
 public:
  static constexpr std::size_t kBuckets = 4096;  ///< a power of two

  SourceRateTable() : buckets_(std::make_unique<Bucket[]>(kBuckets)) {}

  struct Verdict {
    bool allowed = true;
    bool first_drop = false;  ///< the first refusal for this bucket in this window (log it once)
  };

  /// Counts one event for `source` in the window of second `now_s`; refused once `limit`
  /// events of this window were allowed. The window is the wall-clock second, as coturn's.
  Verdict consume(SourceKey source, std::uint32_t limit, std::uint32_t now_s) {
    Bucket& b = buckets_[source.hash() & (kBuckets - 1)];
    const std::uint64_t tag = source.value == 0 ? 1 : source.value;  // 0: an empty bucket
    const std::uint64_t owner = b.tag.load(std::memory_order_relaxed);
    if (owner == 0 || b.window.load(std::memory_order_relaxed) != now_s) {
      // A fresh window (two workers resetting at once lose at most a count or two).
      b.window.store(now_s, std::memory_order_relaxed);
      b.count.store(1, std::memory_order_relaxed);
      b.logged.store(0, std::memory_order_relaxed);
      b.tag.store(tag, std::memory_order_relaxed);
      return {limit > 0, false};
    }
    if (owner != tag)
      collisions_.fetch_add(1, std::memory_order_relaxed);
    if (b.count.fetch_add(1, std::memory_order_relaxed) < limit)
      return {true, false};
    std::uint32_t expected = 0;
    return {false, b.logged.compare_exchange_strong(expected, 1, std::memory_order_relaxed)};
  }

  /// Requests that landed on a bucket a different live source held (they shared its budget).
  std::uint64_t collisions() const { return collisions_.load(std::memory_order_relaxed); }
  /// Buckets with a window of second `now_s` (a scan: for the metrics scrape, not per packet).
  std::size_t occupied(std::uint32_t now_s) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      if (buckets_[i].tag.load(std::memory_order_relaxed) != 0 &&
          buckets_[i].window.load(std::memory_order_relaxed) == now_s) {
        ++n;
      }
    }
    return n;
  }

 private:
  struct Bucket {
    std::atomic<std::uint64_t> tag{0};
    std::atomic<std::uint32_t> window{0};
    std::atomic<std::uint32_t> count{0};
    std::atomic<std::uint32_t> logged{0};
  };

  std::unique_ptr<Bucket[]> buckets_;
  std::atomic<std::uint64_t> collisions_{0};
};

}  // namespace turn
