// The loop pacer's decisions (unit): pause only under load, after small batches, never when off.
#include "worker/batch_pacer.hpp"

#include <doctest/doctest.h>

namespace {

constexpr std::uint64_t kUs = 1000;

/// Feeds `iterations` loop iterations of `per_iteration` datagrams, `gap_us` apart, and returns
/// the last decision.
std::uint32_t run(turn::BatchPacer& p, std::uint64_t& now, int iterations,
                  std::uint32_t per_iteration, std::uint64_t gap_us, std::uint32_t delay_us) {
  std::uint32_t last = 0;
  for (int i = 0; i < iterations; ++i) {
    now += gap_us * kUs;
    last = p.after_iteration(now, per_iteration, delay_us);
  }
  return last;
}

}  // namespace

TEST_CASE("batch pacer: pauses after small batches once the rate promises more datagrams") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  // 1 datagram every 50 us = 20k/s: within 200 us about 4 more arrive.
  CHECK(run(p, now, 400, 1, 50, 200) == 200);
  CHECK(p.rate() == doctest::Approx(20000).epsilon(0.05));
}

TEST_CASE("batch pacer: no pause at low rates, where it would only add wakeups") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  // 1 datagram every 2 ms = 500/s: a 200 us pause would gather nothing.
  CHECK(run(p, now, 50, 1, 2000, 200) == 0);
}

TEST_CASE("batch pacer: no pause when wakeups already carry bursts (video)") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  // Bursts of 8 every 330 us = 24k/s: the rate is high, but batches are big on their own.
  CHECK(run(p, now, 400, 8, 330, 200) == 0);
  CHECK(p.unpaused_batch() > turn::BatchPacer::kSmallBatch);
  CHECK(p.after_iteration(now + 10 * kUs, 0, 200) == 0);  // nothing received: nothing to batch
}

TEST_CASE("batch pacer: while pausing, one wakeup in kProbeEvery runs unpaused to re-measure") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  run(p, now, 400, 1, 50, 200);
  int pauses = 0;
  for (std::uint32_t i = 0; i < 10 * turn::BatchPacer::kProbeEvery; ++i) {
    now += 50 * kUs;
    pauses += p.after_iteration(now, 1, 200) != 0;
  }
  CHECK(pauses == 10 * static_cast<int>(turn::BatchPacer::kProbeEvery - 1));
}

TEST_CASE("batch pacer: a delay of 0 turns it off") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  CHECK(run(p, now, 400, 1, 50, 0) == 0);
}

TEST_CASE("batch pacer: the rate follows the load down again") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  CHECK(run(p, now, 400, 1, 50, 200) == 200);
  CHECK(run(p, now, 20, 1, 5000, 200) == 0);  // 200/s now
}
