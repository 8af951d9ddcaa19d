// LoopLagHistogram: which bucket a lag lands in (upper bounds inclusive, as Prometheus's le).
#include <doctest/doctest.h>

#include "util/stats.hpp"

TEST_CASE("loop lag histogram: bounds are inclusive, the last bucket is +Inf, the sum is kept") {
  turn::LoopLagHistogram h;
  for (std::uint64_t us :
       {0ull, 999ull, 1'000ull, 1'001ull, 250'000ull, 1'000'000ull, 7'000'000ull})
    h.record(us);
  CHECK(h.buckets[0].load() == 3);  // 0, 999 and 1,000 us are <= 1 ms
  CHECK(h.buckets[1].load() == 1);  // 1,001 us
  CHECK(h.buckets[6].load() == 1);  // 250 ms
  CHECK(h.buckets[8].load() == 1);  // 1 s
  CHECK(h.buckets[9].load() == 1);  // 7 s: over every bound
  CHECK(h.sum_us.load() == 0 + 999 + 1'000 + 1'001 + 250'000 + 1'000'000 + 7'000'000);
}
