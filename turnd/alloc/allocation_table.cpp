#include "alloc/allocation_table.hpp"

#include <algorithm>

namespace turn {

AllocationTable::AllocationTable(RelayBinder& binder, QuotaTracker& quota, BandwidthPool& bandwidth,
                                 WorkerStats& stats)
    : binder_(binder), quota_(quota), bandwidth_(bandwidth), stats_(stats), offloader_(stats) {}

Allocation* AllocationTable::find(const ClientKey& key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second.get();
}

Created AllocationTable::create(const ClientKey& key, AllocationRequest request,
                                std::uint64_t now_ms) {
  auto a = std::make_unique<Allocation>();
  a->key = key;
  a->listener = request.listener;
  a->tcp = request.tcp;
  a->user = std::move(request.user);
  a->quota_user = std::move(request.quota_user);  // the quota lease refers to this name
  // RFC 8656 §7.2 lists the quota check (486) before the capacity ones (508).
  auto quota_slot = quota_.lease(a->quota_user);
  if (!quota_slot)
    return {nullptr, stun::ErrorCode::kAllocationQuotaReached};
  a->quota_slot = std::move(*quota_slot);
  // bps-capacity: every allocation holds max-bps of the server's bandwidth while it runs.
  auto bandwidth = bandwidth_.reserve(request.max_bps, request.bps_capacity);
  if (!bandwidth)
    return {nullptr, stun::ErrorCode::kInsufficientCapacity};
  a->bandwidth = std::move(*bandwidth);
  auto socket = request.tcp ? binder_.open_tcp(*a, request.relay_ip)
                            : binder_.open_udp(*a, request.relay_ip, request.ports);
  if (!socket)
    return {nullptr, stun::ErrorCode::kInsufficientCapacity};
  a->primary_fd = socket->fd;
  a->relay = socket->address;
  a->relay_lease = std::move(socket->lease);
  a->reservation_token = socket->reservation_token;
  a->reservation = std::move(socket->reservation);
  a->transport = request.transport;
  a->created_ms = now_ms;
  a->lifetime_s = request.lifetime_s;
  a->expires_ms = now_ms + std::uint64_t{request.lifetime_s} * 1000;
  a->client_to_peer_limit.set_rate(request.max_bps, now_ms);
  a->peer_to_client_limit.set_rate(request.max_bps, now_ms);
  a->scheduled_ms = a->expires_ms;
  a->serial = ++last_serial_;

  Allocation* raw = a.get();
  by_key_.emplace(key, std::move(a));
  heap_push(*raw);
  WorkerStats::add(stats_.allocations_created);
  WorkerStats::add(
      stats_.active_allocations_by_transport[static_cast<std::size_t>(raw->transport)]);
  count_active();
  return {raw, {}};
}

Allocation* AllocationTable::find_serial(std::uint64_t serial) {
  for (auto& [key, a] : by_key_) {
    if (a->serial == serial)
      return a.get();
  }
  return nullptr;
}

bool AllocationTable::add_second_relay(Allocation& a, const stun::SocketAddress& ip) {
  auto socket = binder_.open_udp(a, ip, PortRequest{});
  if (!socket)
    return false;
  a.secondary = std::make_unique<RelaySocket>(std::move(*socket));
  a.second_relay = a.secondary->address;
  return true;
}

void AllocationTable::set_lifetime(Allocation& a, std::uint32_t lifetime_s, std::uint64_t now_ms) {
  a.lifetime_s = lifetime_s;
  a.expires_ms = now_ms + std::uint64_t{lifetime_s} * 1000;
  schedule(a, a.expires_ms);
  offloader_.sync(a, now_ms);
}

void AllocationTable::permit(Allocation& a, const stun::SocketAddress& peer,
                             std::uint64_t expires_ms, std::uint64_t now_ms) {
  a.permit(peer, expires_ms);
  schedule(a, expires_ms);
  offloader_.sync(a, now_ms);  // a channel to this peer may now be offloaded, or last longer
}

ChannelBindResult AllocationTable::bind_channel(Allocation& a, std::uint16_t number,
                                                const stun::SocketAddress& peer,
                                                std::uint64_t expires_ms, bool own_relay,
                                                std::size_t max_channels, std::uint64_t now_ms) {
  const ChannelBindResult result =
      a.bind_channel(number, peer, expires_ms, own_relay, max_channels);
  if (result == ChannelBindResult::kOk) {
    schedule(a, expires_ms);
    offloader_.sync(a, now_ms);
  }
  return result;
}

void AllocationTable::schedule(Allocation& a, std::uint64_t at_ms) {
  if (a.scheduled_ms <= at_ms)
    return;
  a.scheduled_ms = at_ms;
  heap_fix(a.heap_index);
}

void AllocationTable::expire(std::uint64_t now_ms) {
  while (!heap_.empty() && heap_.front()->scheduled_ms <= now_ms) {
    Allocation& a = *heap_.front();
    if (a.expires_ms <= now_ms) {
      WorkerStats::add(stats_.allocations_expired);
      remove(a, "expired");
      continue;
    }
    // The flows of what is due go first (the kernel stops at the deadline by itself anyway),
    // then the permissions and channels end on their own (RFC 8656 §9, §12).
    offloader_.sync(a, now_ms);
    a.expire(now_ms);
    a.scheduled_ms = a.next_deadline();
    heap_fix(a.heap_index);
  }
}

void AllocationTable::remove(Allocation& a, const char* why) {
  offloader_.drop(a);  // first: the end hook logs the traffic, the kernel's included
  if (end_hook_)
    end_hook_(a, why);
  WorkerStats::sub(stats_.active_allocations_by_transport[static_cast<std::size_t>(a.transport)]);
  heap_erase(a);
  const ClientKey key = a.key;  // not a reference into the element being erased
  by_key_.erase(key);           // destroys `a`: its leases give back socket, port, quota, bandwidth
  count_active();
}

std::size_t AllocationTable::revoke_denied(const PeerPolicy& policy, std::uint64_t now_ms) {
  std::size_t revoked = 0;
  for (auto& entry : by_key_) {
    // Not a structured binding: clang 14 cannot capture one in the lambdas below.
    Allocation* const a = entry.second.get();
    bool changed = false;
    for (auto it = a->channels.begin(); it != a->channels.end();) {
      ChannelBinding& ch = it->second;
      if (policy.decide(ch.peer, RelayProtocol::kUdp) != PeerDecision::kDenied) {
        ++it;
        continue;
      }
      offloader_.forget(*a, ch);
      a->channel_numbers.erase(ch.peer);
      it = a->channels.erase(it);
      changed = true;
      ++revoked;
    }
    // A permission names an IP only: it ends when the policy refuses the IP as such (port 0),
    // unless a channel still bound to that IP was kept (this server's own live relay on it).
    revoked += std::erase_if(a->permissions, [&](const auto& p) {
      const IpKey ip = p.first;
      const bool channel_kept =
          std::any_of(a->channels.begin(), a->channels.end(),
                      [&](const auto& c) { return IpKey::of(c.second.peer) == ip; });
      return !channel_kept &&
             policy.decide(ip.address(), RelayProtocol::kUdp) == PeerDecision::kDenied;
    });
    if (changed)
      offloader_.sync(*a, now_ms);
  }
  return revoked;
}

void AllocationTable::remove_all(const char* why) {
  while (!by_key_.empty())
    remove(*by_key_.begin()->second, why);
}

void AllocationTable::heap_push(Allocation& a) {
  a.heap_index = static_cast<std::uint32_t>(heap_.size());
  heap_.push_back(&a);
  heap_fix(a.heap_index);
}

void AllocationTable::heap_erase(Allocation& a) {
  const std::uint32_t i = a.heap_index;
  const auto last = static_cast<std::uint32_t>(heap_.size() - 1);
  if (i != last)
    heap_swap(i, last);
  heap_.pop_back();
  if (i < heap_.size())
    heap_fix(i);
}

void AllocationTable::heap_fix(std::uint32_t i) {
  // Up while smaller than the parent...
  while (i > 0) {
    const std::uint32_t parent = (i - 1) / 2;
    if (!heap_less(i, parent))
      break;
    heap_swap(i, parent);
    i = parent;
  }
  // ...then down while a child is smaller.
  const auto n = static_cast<std::uint32_t>(heap_.size());
  for (;;) {
    const std::uint32_t left = 2 * i + 1;
    if (left >= n)
      break;
    std::uint32_t smallest = left;
    if (left + 1 < n && heap_less(left + 1, left))
      smallest = left + 1;
    if (!heap_less(smallest, i))
      break;
    heap_swap(i, smallest);
    i = smallest;
  }
}

void AllocationTable::heap_swap(std::uint32_t i, std::uint32_t j) {
  std::swap(heap_[i], heap_[j]);
  heap_[i]->heap_index = i;
  heap_[j]->heap_index = j;
}

void AllocationTable::count_active() {
  stats_.active_allocations.store(by_key_.size(), std::memory_order_relaxed);
}

}  // namespace turn
