// The loop pacer's decisions (unit): pause only under load, after small batches, never when off,
// and never longer than the latency budget, overshoot included.
#include "worker/batch_pacer.hpp"

#include <doctest/doctest.h>

namespace {

constexpr std::uint64_t kUs = 1000;

/// Feeds `iterations` loop iterations of `per_iteration` datagrams, `gap_us` apart, and returns
/// the last decision (ns).
std::uint64_t run(turn::BatchPacer& p, std::uint64_t& now, int iterations,
                  std::uint32_t per_iteration, std::uint64_t gap_us, std::uint32_t budget_us) {
  std::uint64_t last = 0;
  for (int i = 0; i < iterations; ++i) {
    now += gap_us * kUs;
    last = p.after_iteration(now, per_iteration, budget_us);
  }
  return last;
}

}  // namespace

TEST_CASE("batch pacer: pauses after small batches once the rate promises more datagrams") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  // 1 datagram every 10 us = 100k/s: a full batch (8) arrives in 80 us, within the budget.
  CHECK(run(p, now, 2001, 1, 10, 200) == doctest::Approx(80 * kUs).epsilon(0.05));
  CHECK(p.rate() == doctest::Approx(100000).epsilon(0.05));
}

TEST_CASE("batch pacer: the budget caps the pause") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  // 1 datagram every 10 us: a batch would take 80 us, the budget allows 40.
  CHECK(run(p, now, 2001, 1, 10, 40) == 40 * kUs);
}

TEST_CASE("batch pacer: no pause when the budget would gather too little") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  // 1 datagram every 50 us = 20k/s: 200 us gathers 4, 40 us less than one.
  CHECK(run(p, now, 400, 1, 50, 200) == 200 * kUs);
  turn::BatchPacer q;
  CHECK(run(q, now, 400, 1, 50, 40) == 0);
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

TEST_CASE("batch pacer: the sleep's overshoot is taken off the next pauses") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  REQUIRE(run(p, now, 2001, 1, 10, 40) == 40 * kUs);
  // Every pause takes 20 us longer than asked: the requests converge on 40 - 20 us.
  std::uint64_t asked = 0;
  for (int i = 0; i < 200; ++i) {
    now += 10 * kUs;
    const std::uint64_t pause = p.after_iteration(now, 1, 40);
    if (pause != 0) {
      p.paused(pause, pause + 20 * kUs);
      asked = pause;
    }
  }
  CHECK(p.overshoot_ns() == doctest::Approx(20 * kUs).epsilon(0.01));
  CHECK(asked == doctest::Approx(20 * kUs).epsilon(0.02));
  // An overshoot as large as the budget leaves no room: no pause at all...
  for (int i = 0; i < 200; ++i) {
    now += 10 * kUs;
    const std::uint64_t pause = p.after_iteration(now, 1, 40);
    if (pause != 0)
      p.paused(pause, pause + 60 * kUs);
  }
  now += 10 * kUs;
  CHECK(p.after_iteration(now, 1, 40) == 0);
  // ...until windows without pauses have halved the estimate, and a short pause is tried again.
  std::uint64_t retried = 0;
  for (int i = 0; i < 10000 && retried == 0; ++i) {
    now += 10 * kUs;
    retried = p.after_iteration(now, 1, 40);
  }
  CHECK(retried > 0);
  CHECK(retried < 40 * kUs);
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

TEST_CASE("batch pacer: a budget of 0 turns it off") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  CHECK(run(p, now, 400, 1, 50, 0) == 0);
}

TEST_CASE("batch pacer: the rate follows the load down again") {
  turn::BatchPacer p;
  std::uint64_t now = 1'000'000'000;
  CHECK(run(p, now, 400, 1, 50, 200) == 200 * kUs);
  CHECK(run(p, now, 20, 1, 5000, 200) == 0);  // 200/s now
}
