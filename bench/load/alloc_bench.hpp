// The allocation-rate test: K concurrent loops, each repeating one cycle as fast as the server
// answers, each cycle on a fresh socket: Allocate without credentials (401), Allocate with them
// (200), Refresh LIFETIME 0 (200, the allocation is gone). It measures what call setup costs the
// server: nonce handling, the key check, port allocation and release.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "histogram.hpp"
#include "options.hpp"
#include "payload.hpp"

namespace load {

struct AllocResult {
  std::uint64_t cycles = 0;    ///< completed inside the measured window
  std::uint64_t failures = 0;  ///< failed inside the measured window
  std::uint64_t cycles_total = 0;
  std::uint64_t failures_total = 0;
  std::uint64_t collisions = 0;  ///< 437 on a fresh port: retried on another, not a failure
  double window_s = 0;
  Histogram latency;  ///< cycle latency, first request to last response
  std::string first_error;
  bool aborted = false;  ///< nothing ever succeeded and the server looks down
};

/// Runs warmup and the measured window, announcing both through `phase` ("measure", "done").
AllocResult run_alloc(const Options& options, Window& window,
                      const std::function<void(const char*)>& phase);

}  // namespace load
