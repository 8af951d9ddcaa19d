// A log-linear latency histogram: exact below 256 ns, then 128 buckets per power of two (under 1%
// error), fixed size, no allocation per sample. Each thread records into its own and the results
// are merged after the threads stop, so recording needs no synchronisation.
#pragma once

#include <array>
#include <cstdint>

namespace load {

class Histogram {
 public:
  void record(std::uint64_t ns) {
    ++buckets_[index_of(ns)];
    ++count_;
  }
  void merge(const Histogram& o);
  std::uint64_t count() const { return count_; }
  /// The value below which a fraction `q` (0..1) of the samples lie, in microseconds; -1 when
  /// there are no samples.
  double quantile_us(double q) const;

 private:
  static constexpr unsigned kSubBits = 7;
  static constexpr unsigned kExact = 256;  // 2^(kSubBits+1)
  static constexpr unsigned kBuckets = kExact + (64 - kSubBits - 1) * (1u << kSubBits);

  static unsigned index_of(std::uint64_t v) {
    if (v < kExact)
      return static_cast<unsigned>(v);
    const unsigned e = 63u - static_cast<unsigned>(__builtin_clzll(v));    // >= kSubBits + 1
    const unsigned mantissa = static_cast<unsigned>(v >> (e - kSubBits));  // [128, 256)
    return kExact + (e - kSubBits - 1) * (1u << kSubBits) + (mantissa - (1u << kSubBits));
  }
  /// The middle of bucket `i`'s range.
  static double value_of(unsigned i);

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
};

}  // namespace load
