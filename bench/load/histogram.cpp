#include "histogram.hpp"

#include <cmath>

namespace load {

void Histogram::merge(const Histogram& o) {
  for (unsigned i = 0; i < kBuckets; ++i)
    buckets_[i] += o.buckets_[i];
  count_ += o.count_;
}

double Histogram::value_of(unsigned i) {
  if (i < kExact)
    return i;
  const unsigned e = (i - kExact) / (1u << kSubBits) + kSubBits + 1;
  const unsigned mantissa = (i - kExact) % (1u << kSubBits) + (1u << kSubBits);
  const double width = std::ldexp(1.0, static_cast<int>(e - kSubBits));
  return mantissa * width + width / 2;
}

double Histogram::quantile_us(double q) const {
  if (count_ == 0)
    return -1;
  const auto target = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (unsigned i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= target && seen > 0)
      return value_of(i) / 1000.0;
  }
  return value_of(kBuckets - 1) / 1000.0;
}

}  // namespace load
