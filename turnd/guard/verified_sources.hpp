// Sources that proved they receive our answers at their address (they sent back a nonce this
// server issued to that IP) and when they last did. The unauthorized-ratelimit exists for
// sources nobody verified (a forged source is a reflection victim); a verified one is a real
// client, often many behind one NAT, whose first 401s must not be rationed. Direct-mapped and
// lock-free like SourceRateTable; an entry is trusted only for exactly its own source, so a
// colliding source never inherits it (it just evicts it, costing that source its exemption).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "net/source_key.hpp"

namespace turn {

class VerifiedSources {
 public:
  static constexpr std::size_t kBuckets = 16384;  ///< a power of two

  VerifiedSources() : buckets_(std::make_unique<Bucket[]>(kBuckets)) {}

  void mark(SourceKey source, std::uint32_t now_s) {
    Bucket& b = buckets_[source.hash() & (kBuckets - 1)];
    b.seen.store(now_s, std::memory_order_relaxed);
    b.tag.store(tag_of(source), std::memory_order_relaxed);
  }
  /// True when `source` was marked within the last `within_s` seconds.
  bool recent(SourceKey source, std::uint32_t now_s, std::uint32_t within_s) const {
    const Bucket& b = buckets_[source.hash() & (kBuckets - 1)];
    if (b.tag.load(std::memory_order_relaxed) != tag_of(source))
      return false;
    const std::uint32_t seen = b.seen.load(std::memory_order_relaxed);
    return seen <= now_s && now_s - seen <= within_s;
  }

 private:
  static std::uint64_t tag_of(SourceKey s) { return s.value == 0 ? 1 : s.value; }

  struct Bucket {
    std::atomic<std::uint64_t> tag{0};
    std::atomic<std::uint32_t> seen{0};
  };
  std::unique_ptr<Bucket[]> buckets_;
};

}  // namespace turn
