// The one owner of a worker's allocations and of their permissions and channels (RFC 8656 §2.2,
// §9, §12): creates them (or says which RFC error refuses them), finds them by 5-tuple or relay
// ends them, and expires them from a deadline heap (indexed: an allocation that ends leaves it at
// once), so a tick costs what is due, not a walk over every allocation. What an allocation holds is
// a lease it owns (alloc/lease.hpp): ending it, by any path, gives everything back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "alloc/allocation.hpp"
#include "alloc/bandwidth_pool.hpp"
#include "alloc/channel_offloader.hpp"
#include "alloc/quota.hpp"
#include "alloc/relay_binder.hpp"
#include "net/peer_policy.hpp"
#include "stun/error_codes.hpp"
#include "util/stats.hpp"

namespace turn {

/// What an Allocate asks for, once the request itself was checked (RFC 8656 §7.2).
struct AllocationRequest {
  stun::SocketAddress listener;  ///< the address the client sent the Allocate to
  stun::SocketAddress relay_ip;
  bool tcp = false;  ///< RFC 6062 §5.1
  PortRequest ports;
  std::string user;
  std::string quota_user;  ///< what user-quota counts (the real user of a TURN REST name)
  ClientTransport transport = ClientTransport::kUdp;
  std::uint64_t max_bps = 0;       ///< 0: no limit
  std::uint64_t bps_capacity = 0;  ///< 0: no cap
  std::uint32_t lifetime_s = 0;
};

/// The allocation, or the error that refused it (486 quota, 508 capacity or no port).
struct Created {
  Allocation* allocation = nullptr;
  stun::ErrorCode error = stun::ErrorCode::kServerError;
  explicit operator bool() const { return allocation != nullptr; }
};

class AllocationTable {
 public:
  /// Called first when an allocation ends, while all of it is still there (the worker logs
  /// it, counts its traffic and closes its RFC 6062 peer connections).
  using EndHook = std::function<void(Allocation&, const char* why)>;

  AllocationTable(RelayBinder& binder, QuotaTracker& quota, BandwidthPool& bandwidth,
                  WorkerStats& stats);
  AllocationTable(const AllocationTable&) = delete;
  AllocationTable& operator=(const AllocationTable&) = delete;

  void on_end(EndHook hook) { end_hook_ = std::move(hook); }
  /// The kernel fast path for bound channels (null: none), kept in step with every change.
  void set_offload(FlowOffload* kernel) { offloader_.attach(kernel); }
  /// Counts what the kernel relayed since the last call (the worker's sweep).
  void collect_offloaded() { offloader_.collect(); }
  std::size_t offloaded_flows() const { return offloader_.flows(); }

  Allocation* find(const ClientKey& key);
  /// The allocation with this serial (Allocation::serial), or null; a walk, for the admin API.
  Allocation* find_serial(std::uint64_t serial);
  /// Takes the quota slot, then the bandwidth, then the relay socket; whatever fails first
  /// decides the error, and what was taken before it is given back.
  Created create(const ClientKey& key, AllocationRequest request, std::uint64_t now_ms);
  /// RFC 8656 §7.2 dual allocation: the second relay, on `ip`. False when none could be bound.
  bool add_second_relay(Allocation& a, const stun::SocketAddress& ip);

  /// RFC 8656 §8: a new lifetime from now.
  void set_lifetime(Allocation& a, std::uint32_t lifetime_s, std::uint64_t now_ms);
  /// RFC 8656 §9: installs or refreshes the permission for `peer`'s IP. The caller checks
  /// max-allocation-permissions first (all of a request's peers must fit).
  void permit(Allocation& a, const stun::SocketAddress& peer, std::uint64_t expires_ms,
              std::uint64_t now_ms);
  /// RFC 8656 §11: binds or refreshes a channel, at most `max_channels` per allocation.
  ChannelBindResult bind_channel(Allocation& a, std::uint16_t number,
                                 const stun::SocketAddress& peer, std::uint64_t expires_ms,
                                 bool own_relay, std::size_t max_channels, std::uint64_t now_ms);

  /// Ends `a` (the end hook, then its leases); `a` is gone afterwards.
  void remove(Allocation& a, const char* why);
  /// A reload changed the peer policy: channels and permissions to peers it now refuses end
  /// (and the kernel's flows with them), so nothing is relayed to them any more. How many.
  std::size_t revoke_denied(const PeerPolicy& policy, std::uint64_t now_ms);
  /// Ends every allocation (shutdown).
  void remove_all(const char* why);
  /// Ends the allocations whose lifetime is over (counted as expired) and drops the expired
  /// permissions and channels of the others: only what the heap says is due.
  void expire(std::uint64_t now_ms);

  std::size_t size() const { return by_key_.size(); }
  bool empty() const { return by_key_.empty(); }
  /// Entries in the expiry heap: one per allocation (for tests).
  std::size_t scheduled() const { return heap_.size(); }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [key, a] : by_key_)
      f(static_cast<const Allocation&>(*a));
  }

 private:
  /// Moves `a`'s deadline to `at_ms` when that is earlier (a later one is picked up when the
  /// current one comes due).
  void schedule(Allocation& a, std::uint64_t at_ms);
  // The binary min-heap on scheduled_ms, each allocation knowing its index.
  void heap_push(Allocation& a);
  void heap_erase(Allocation& a);
  void heap_fix(std::uint32_t index);  ///< restores order after heap_[index]'s key changed
  void heap_swap(std::uint32_t i, std::uint32_t j);
  bool heap_less(std::uint32_t i, std::uint32_t j) const {
    return heap_[i]->scheduled_ms < heap_[j]->scheduled_ms;
  }
  void count_active();

  RelayBinder& binder_;
  QuotaTracker& quota_;
  BandwidthPool& bandwidth_;
  WorkerStats& stats_;
  EndHook end_hook_;
  ChannelOffloader offloader_;
  std::unordered_map<ClientKey, std::unique_ptr<Allocation>, ClientKeyHash> by_key_;
  std::vector<Allocation*> heap_;
  std::uint64_t last_serial_ = 0;
};

}  // namespace turn
