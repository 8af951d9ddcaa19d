// One clock for everything the generator measures: CLOCK_MONOTONIC in nanoseconds, the same clock
// whose reading travels in every payload, so an RTT is a plain subtraction.
#pragma once

#include <time.h>

#include <cstdint>

namespace load {

inline std::uint64_t now_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

inline timespec to_timespec(std::uint64_t ns) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000u);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000u);
  return ts;
}

/// Sleeps until the absolute CLOCK_MONOTONIC time `ns` (no drift from repeated relative sleeps).
inline void sleep_until_ns(std::uint64_t ns) {
  const timespec ts = to_timespec(ns);
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

inline constexpr std::uint64_t kNsPerMs = 1'000'000;
inline constexpr std::uint64_t kNsPerSec = 1'000'000'000;

}  // namespace load
