// The one JSON line turnd_load ends with; bench/compare.py parses it. Every field is always
// present, -1 where it does not apply to the mode.
#pragma once

#include <cstdint>
#include <string>

namespace load {

struct Report {
  std::string mode;
  std::string transport;
  std::string shape;  ///< "none" for alloc, "light" for hold
  std::int64_t clients = -1;
  double duration_s = -1;
  std::int64_t sent = -1;
  std::int64_t peer_received = -1;
  std::int64_t received = -1;
  std::int64_t lost = -1;
  double loss_pct = -1;
  std::int64_t relayed_packets = -1;
  double relayed_pps = -1;
  double offered_pps = -1;
  double rtt_p50_us = -1;
  double rtt_p99_us = -1;
  std::int64_t setup_failures = -1;
  std::int64_t alloc_cycles = -1;
  std::int64_t alloc_failures = -1;
  double alloc_cycles_per_s = -1;
  double alloc_p50_us = -1;
  double alloc_p99_us = -1;
  /// The generator's own CPU in the measured window, every thread (the echo peer's too).
  std::int64_t cpu_ns = -1;
};

/// One line, no spaces needed by the reader, flushed.
void print_json(const Report& r);

}  // namespace load
