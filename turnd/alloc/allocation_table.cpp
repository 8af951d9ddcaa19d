#include "alloc/allocation_table.hpp"

namespace turn {

AllocationTable::AllocationTable(RelayBinder& binder, QuotaTracker& quota, BandwidthPool& bandwidth,
                                 WorkerStats& stats)
    : binder_(binder), quota_(quota), bandwidth_(bandwidth), stats_(stats) {}

Allocation* AllocationTable::find(const ClientKey& key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second.get();
}

Allocation* AllocationTable::find_by_relay(const stun::SocketAddress& relay) {
  auto it = by_relay_.find(relay);
  return it == by_relay_.end() ? nullptr : it->second;
}

Created AllocationTable::create(const ClientKey& key, AllocationRequest request,
                                std::uint64_t now_ms) {
  // RFC 8656 §7.2 lists the quota check (486) before the capacity ones (508).
  auto quota_slot = quota_.lease(request.quota_user);
  if (!quota_slot)
    return {nullptr, stun::ErrorCode::kAllocationQuotaReached};
  // bps-capacity: every allocation holds max-bps of the server's bandwidth while it runs.
  auto bandwidth = bandwidth_.reserve(request.max_bps, request.bps_capacity);
  if (!bandwidth)
    return {nullptr, stun::ErrorCode::kInsufficientCapacity};

  auto a = std::make_unique<Allocation>();
  a->key = key;
  a->tcp = request.tcp;
  auto socket = request.tcp ? binder_.open_tcp(*a, request.relay_ip)
                            : binder_.open_udp(*a, request.relay_ip, request.ports);
  if (!socket)
    return {nullptr, stun::ErrorCode::kInsufficientCapacity};
  a->primary = std::move(*socket);
  a->relay = a->primary.address;
  a->reservation_token = a->primary.reservation_token;
  a->quota_slot = std::move(*quota_slot);
  a->bandwidth = std::move(*bandwidth);
  a->reserved_bps = request.max_bps;
  a->user = std::move(request.user);
  a->quota_user = std::move(request.quota_user);
  a->transport = request.transport;
  a->created_ms = now_ms;
  a->lifetime_s = request.lifetime_s;
  a->expires_ms = now_ms + std::uint64_t{request.lifetime_s} * 1000;
  a->client_to_peer_limit.set_rate(request.max_bps, now_ms);
  a->peer_to_client_limit.set_rate(request.max_bps, now_ms);
  a->id = next_id_++;

  Allocation* raw = a.get();
  by_relay_.emplace(raw->relay, raw);
  by_key_.emplace(key, std::move(a));
  schedule(*raw, raw->expires_ms);
  WorkerStats::add(stats_.allocations_created);
  WorkerStats::add(
      stats_.active_allocations_by_transport[static_cast<std::size_t>(raw->transport)]);
  count_active();
  return {raw, {}};
}

bool AllocationTable::add_second_relay(Allocation& a, const stun::SocketAddress& ip) {
  auto socket = binder_.open_udp(a, ip, PortRequest{});
  if (!socket)
    return false;
  a.secondary = std::move(*socket);
  a.second_relay = a.secondary.address;
  by_relay_.emplace(a.second_relay, &a);
  return true;
}

void AllocationTable::set_lifetime(Allocation& a, std::uint32_t lifetime_s, std::uint64_t now_ms) {
  a.lifetime_s = lifetime_s;
  a.expires_ms = now_ms + std::uint64_t{lifetime_s} * 1000;
  schedule(a, a.expires_ms);
}

void AllocationTable::permit(Allocation& a, const stun::SocketAddress& peer,
                             std::uint64_t expires_ms) {
  a.permit(peer, expires_ms);
  schedule(a, expires_ms);
}

ChannelBindResult AllocationTable::bind_channel(Allocation& a, std::uint16_t number,
                                                const stun::SocketAddress& peer,
                                                std::uint64_t expires_ms, bool own_relay,
                                                std::size_t max_channels) {
  const ChannelBindResult result =
      a.bind_channel(number, peer, expires_ms, own_relay, max_channels);
  if (result == ChannelBindResult::kOk)
    schedule(a, expires_ms);
  return result;
}

void AllocationTable::schedule(Allocation& a, std::uint64_t at_ms) {
  // One live entry per allocation: pushed again only when something ends earlier than the
  // entry it has (a lifetime shortened by Refresh, a first permission); later deadlines are
  // picked up when the entry surfaces. Stale entries are skipped when popped.
  if (a.scheduled_ms != 0 && a.scheduled_ms <= at_ms)
    return;
  a.scheduled_ms = at_ms;
  heap_.push({at_ms, a.id, a.key});
}

void AllocationTable::expire(std::uint64_t now_ms) {
  while (!heap_.empty() && heap_.top().at_ms <= now_ms) {
    const Deadline due = heap_.top();
    heap_.pop();
    Allocation* a = find(due.key);
    if (a == nullptr || a->id != due.id || a->scheduled_ms != due.at_ms)
      continue;  // ended, or rescheduled earlier: a newer entry speaks for it
    if (a->expires_ms <= now_ms) {
      WorkerStats::add(stats_.allocations_expired);
      remove(*a, "expired");
      continue;
    }
    a->expire(now_ms);  // RFC 8656 §9, §12: permissions and channels end on their own
    a->scheduled_ms = 0;
    schedule(*a, a->next_deadline());
  }
}

void AllocationTable::remove(Allocation& a, const char* why) {
  if (end_hook_)
    end_hook_(a, why);
  WorkerStats::sub(stats_.active_allocations_by_transport[static_cast<std::size_t>(a.transport)]);
  by_relay_.erase(a.relay);
  if (a.dual())
    by_relay_.erase(a.second_relay);
  const ClientKey key = a.key;  // not a reference into the element being erased
  by_key_.erase(key);           // destroys `a`: its leases give back socket, port, quota, bandwidth
  count_active();
}

void AllocationTable::remove_all(const char* why) {
  while (!by_key_.empty())
    remove(*by_key_.begin()->second, why);
}

void AllocationTable::count_active() {
  stats_.active_allocations.store(by_key_.size(), std::memory_order_relaxed);
}

}  // namespace turn
