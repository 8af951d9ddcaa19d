// What a metrics scrape reads from the server: summed counters and gauges, and the traffic of
// ended sessions. An interface, so the exporter sits below the server it reports on (the server
// owns the exporter and implements this; the exporter never includes the server).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "util/stats.hpp"

namespace turn {

struct ServerTotals {
#define TURND_TOTAL_FIELD(name, help) std::uint64_t name = 0;
  TURND_WORKER_COUNTERS(TURND_TOTAL_FIELD)
#undef TURND_TOTAL_FIELD
  std::uint64_t active_allocations = 0;
  std::uint64_t active_connections = 0;
  /// The kernel fast path: channels it relays now, and the packets of those it sent up to user
  /// space instead, by reason (offload/bpf/flow_maps.h; names from fallback_names).
  std::uint64_t offloaded_flows = 0;
  static constexpr std::size_t kOffloadFallbackReasons = 9;
  std::array<std::uint64_t, kOffloadFallbackReasons> offload_fallbacks{};
  static constexpr std::array<const char*, kOffloadFallbackReasons> kOffloadFallbackNames = {
      "fragment", "ip_options", "gso",     "length",   "too_big",
      "route",    "rewrite",    "expired", "own_relay"};
  /// Active allocations by client transport (Prometheus turn_total_allocations{type}).
  /// Indexed by ClientTransport.
  std::array<std::uint64_t, kClientTransports> active_allocations_by_transport{};
  // The defences' shared state (guard/).
  std::uint64_t banned_sources = 0;  ///< gauge
  std::uint64_t bans = 0;            ///< bans started since start
  std::uint64_t ratelimit_collisions = 0;
  std::uint64_t ratelimit_occupied_buckets = 0;  ///< gauge: unauthorized-ratelimit windows live now
  /// Relay ports (min-port..max-port) free now, and the range's size.
  std::uint64_t relay_ports_free = 0;
  std::uint64_t relay_ports_total = 0;
};

/// One worker's loop lag histogram (LoopLagHistogram), as a scrape reads it.
struct LoopLag {
  std::array<std::uint64_t, LoopLagHistogram::kUpperBoundsUs.size() + 1> buckets{};
  std::uint64_t sum_us = 0;
};

class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  /// Thread-safe (relaxed loads).
  virtual ServerTotals totals() const = 0;
  /// Thread-safe: ended sessions' traffic by user ("" = the realm's row), summed over workers.
  virtual std::map<std::string, SessionTraffic> session_traffic() const = 0;
  virtual std::size_t worker_count() const = 0;
  /// Thread-safe: worker `index`'s loop lag (index < worker_count()).
  virtual LoopLag loop_lag(std::size_t index) const = 0;
};

}  // namespace turn
