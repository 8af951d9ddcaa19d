// Keeps the kernel's flows (alloc/flow_offload.hpp) of one worker's allocations equal to what
// the user-space relay path would relay: a channel is offloaded while it is bound, its peer's
// permission lasts and its allocation lives, for a UDP client and a UDP peer of the client's
// family, without max-bps and not to one of this server's own relays (those are re-checked per
// packet). Every change the allocation table makes calls sync(); what the kernel relayed is
// folded into the allocations' and the worker's traffic counters by collect() and when a flow
// goes, so the allocation-end log line, Prometheus and quotas count offloaded traffic too.
#pragma once

#include <cstdint>
#include <unordered_set>

#include "alloc/allocation.hpp"
#include "alloc/flow_offload.hpp"
#include "util/stats.hpp"

namespace turn {

class ChannelOffloader {
 public:
  explicit ChannelOffloader(WorkerStats& stats) : stats_(stats) {}
  ChannelOffloader(const ChannelOffloader&) = delete;
  ChannelOffloader& operator=(const ChannelOffloader&) = delete;

  /// The kernel path, or null for none (the default: everything stays in user space).
  void attach(FlowOffload* kernel) { kernel_ = kernel; }
  bool attached() const { return kernel_ != nullptr; }

  /// After anything that changes what `a` may relay or until when: installs, extends or removes
  /// its flows. At `now_ms` a permission or channel that is due counts as gone.
  void sync(Allocation& a, std::uint64_t now_ms);
  /// `a` ends: its flows go first, and their last counts are added to its traffic.
  void drop(Allocation& a);
  /// Channel `ch` of `a` is about to be unbound: its flow goes (if it has one).
  void forget(Allocation& a, ChannelBinding& ch) {
    if (kernel_ != nullptr && ch.offload != 0)
      remove(a, ch);
  }
  /// Adds what the kernel relayed since the last call to the allocations' and worker's
  /// counters.
  void collect();
  std::size_t flows() const { return flows_; }

 private:
  void remove(Allocation& a, ChannelBinding& ch);
  /// Adds what the flow of `ch` relayed beyond what was counted so far.
  void count(Allocation& a, ChannelBinding& ch, const FlowCounters& total);
  /// The end of the flow of `ch` if it may be offloaded now, else 0.
  static std::uint64_t offload_until(const Allocation& a, const ChannelBinding& ch,
                                     std::uint64_t now_ms);

  WorkerStats& stats_;
  FlowOffload* kernel_ = nullptr;
  std::unordered_set<Allocation*> offloaded_;  ///< allocations with at least one flow
  std::size_t flows_ = 0;
};

}  // namespace turn
