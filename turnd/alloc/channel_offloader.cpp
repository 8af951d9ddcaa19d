#include "alloc/channel_offloader.hpp"

#include <algorithm>

namespace turn {

std::uint64_t ChannelOffloader::offload_until(const Allocation& a, const ChannelBinding& ch,
                                              std::uint64_t now_ms) {
  // TCP, TLS and DTLS clients, RFC 6062 relays and max-bps stay in user space. A channel to
  // one of our own relays is offloaded marked as such: the kernel relays it only while that
  // relay's own flow back is offloaded (so its allocation lives), else user space re-checks.
  if (a.key.connection != 0 || a.tcp || a.client_to_peer_limit.rate() != 0)
    return 0;
  // The program rewrites addresses in place: client, listener, relay and peer of one family.
  const std::uint8_t family = a.key.client.family;
  const stun::SocketAddress& relay = a.relay_for(ch.peer);
  // An IPv4-mapped peer of an IPv6 relay leaves as IPv4: user space's.
  if (a.listener.family != family || relay.family != family || ch.peer.family != family ||
      ch.peer.unmapped().family != family || IpKey::of(a.listener).is_wildcard() ||
      IpKey::of(relay).is_wildcard())
    return 0;
  auto permission = a.permissions.find(IpKey::of(ch.peer));
  if (permission == a.permissions.end())
    return 0;
  const std::uint64_t until = std::min({a.expires_ms, ch.expires_ms, permission->second});
  return until > now_ms ? until : 0;
}

void ChannelOffloader::sync(Allocation& a, std::uint64_t now_ms) {
  if (kernel_ == nullptr)
    return;
  bool any = false;
  for (auto& [number, ch] : a.channels) {
    const std::uint64_t until = offload_until(a, ch, now_ms);
    if (until == 0) {
      if (ch.offload != 0)
        remove(a, ch);
      continue;
    }
    any = true;
    if (ch.offload != 0) {
      if (until != ch.offload_until_ms) {
        kernel_->extend(ch.offload, until);
        ch.offload_until_ms = until;
      }
      continue;
    }
    OffloadFlow flow;
    flow.client = a.key.client;
    flow.listener = a.listener;
    flow.relay = a.relay_for(ch.peer);
    flow.peer = ch.peer;
    flow.channel = number;
    flow.own_relay = ch.own_relay;
    flow.expires_ms = until;
    ch.offload = kernel_->install(flow);
    if (ch.offload == 0) {
      WorkerStats::add(stats_.offload_install_failures);
      continue;
    }
    ch.offload_until_ms = until;
    ch.offload_seen = {};
    ++flows_;
    WorkerStats::add(stats_.offload_flows_installed);
  }
  if (any) {
    offloaded_.insert(&a);
  } else {
    offloaded_.erase(&a);
  }
  stats_.offloaded_flows.store(flows_, std::memory_order_relaxed);
}

void ChannelOffloader::remove(Allocation& a, ChannelBinding& ch) {
  count(a, ch, kernel_->remove(ch.offload));
  ch.offload = 0;
  ch.offload_until_ms = 0;
  --flows_;
  WorkerStats::add(stats_.offload_flows_removed);
}

void ChannelOffloader::drop(Allocation& a) {
  if (offloaded_.erase(&a) == 0)
    return;
  for (auto& [number, ch] : a.channels) {
    if (ch.offload != 0)
      remove(a, ch);
  }
  stats_.offloaded_flows.store(flows_, std::memory_order_relaxed);
}

void ChannelOffloader::collect() {
  for (Allocation* a : offloaded_) {
    for (auto& [number, ch] : a->channels) {
      if (ch.offload != 0)
        count(*a, ch, kernel_->counters(ch.offload));
    }
  }
}

void ChannelOffloader::count(Allocation& a, ChannelBinding& ch, const FlowCounters& total) {
  FlowCounters& seen = ch.offload_seen;
  const std::uint64_t client_packets = total.client_packets - seen.client_packets;
  const std::uint64_t client_bytes = total.client_bytes - seen.client_bytes;
  const std::uint64_t peer_packets = total.peer_packets - seen.peer_packets;
  const std::uint64_t peer_bytes = total.peer_bytes - seen.peer_bytes;
  seen = total;
  a.traffic.client_packets += client_packets;
  a.traffic.client_bytes += client_bytes;
  a.traffic.peer_packets += peer_packets;
  a.traffic.peer_bytes += peer_bytes;
  WorkerStats::add(stats_.client_to_peer_packets, client_packets);
  WorkerStats::add(stats_.client_to_peer_bytes, client_bytes);
  WorkerStats::add(stats_.peer_to_client_packets, peer_packets);
  WorkerStats::add(stats_.peer_to_client_bytes, peer_bytes);
  WorkerStats::add(stats_.offloaded_packets, client_packets + peer_packets);
}

}  // namespace turn
