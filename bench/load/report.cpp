#include "report.hpp"

#include <cmath>
#include <cstdio>

namespace load {

namespace {

/// Numbers with up to 3 decimals; -1 stays -1 so that "not applicable" reads the same everywhere.
std::string num(double v) {
  if (v == -1)
    return "-1";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3f", std::isfinite(v) ? v : -1.0);
  return buf;
}

}  // namespace

void print_json(const Report& r) {
  std::printf(
      "{\"mode\":\"%s\",\"transport\":\"%s\",\"shape\":\"%s\",\"clients\":%lld,"
      "\"duration_s\":%s,\"sent\":%lld,\"peer_received\":%lld,\"received\":%lld,\"lost\":%lld,"
      "\"loss_pct\":%s,\"relayed_packets\":%lld,\"relayed_pps\":%s,\"offered_pps\":%s,"
      "\"rtt_p50_us\":%s,\"rtt_p99_us\":%s,\"setup_failures\":%lld,\"alloc_cycles\":%lld,"
      "\"alloc_failures\":%lld,\"alloc_cycles_per_s\":%s,\"alloc_p50_us\":%s,"
      "\"alloc_p99_us\":%s,\"cpu_ns\":%lld}\n",
      r.mode.c_str(), r.transport.c_str(), r.shape.c_str(), static_cast<long long>(r.clients),
      num(r.duration_s).c_str(), static_cast<long long>(r.sent),
      static_cast<long long>(r.peer_received), static_cast<long long>(r.received),
      static_cast<long long>(r.lost), num(r.loss_pct).c_str(),
      static_cast<long long>(r.relayed_packets), num(r.relayed_pps).c_str(),
      num(r.offered_pps).c_str(), num(r.rtt_p50_us).c_str(), num(r.rtt_p99_us).c_str(),
      static_cast<long long>(r.setup_failures), static_cast<long long>(r.alloc_cycles),
      static_cast<long long>(r.alloc_failures), num(r.alloc_cycles_per_s).c_str(),
      num(r.alloc_p50_us).c_str(), num(r.alloc_p99_us).c_str(), static_cast<long long>(r.cpu_ns));
  std::fflush(stdout);
}

}  // namespace load
