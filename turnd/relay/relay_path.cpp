#include "relay/relay_path.hpp"

#include <array>
#include <cstring>

#include "net/recv_batch.hpp"
#include "stun/builder.hpp"
#include "stun/channel_data.hpp"

namespace turn {
namespace {

void count_client_to_peer(TurnContext& ctx, Allocation& a, std::size_t bytes) {
  ++a.traffic.client_packets;
  a.traffic.client_bytes += bytes;
  WorkerStats::add(ctx.stats().client_to_peer_packets);
  WorkerStats::add(ctx.stats().client_to_peer_bytes, bytes);
}

/// max-bps: false (and counted) when the allocation's budget for this direction is spent.
bool within_budget(TurnContext& ctx, RateLimiter& limit, std::size_t bytes) {
  if (limit.allow(bytes, ctx.now_ms()))
    return true;
  WorkerStats::add(ctx.stats().bandwidth_dropped_packets);
  return false;
}

void drop_no_permission(TurnContext& ctx) {
  WorkerStats::add(ctx.stats().no_permission_packets);
}

/// Data indications get transaction ids that never repeat within a worker; RFC 8489 §6 only asks
/// that they be unique, not secret.
stun::TransactionId next_indication_id(TurnContext& ctx) {
  thread_local std::uint64_t counter = 0;
  stun::TransactionId tid{};
  stun::store_u32(tid.data(), ctx.worker_index());
  stun::store_u64(tid.data() + 4, ++counter);
  return tid;
}

}  // namespace

void on_client_channel_data(TurnContext& ctx, const ClientKey& key, stun::Bytes data) {
  Allocation* a = ctx.allocations().find(key);
  if (a == nullptr) {
    WorkerStats::add(ctx.stats().no_allocation_packets);
    return;
  }
  auto cd = stun::ChannelDataView::parse(data, ctx.config().max_channel());
  if (!cd) {
    WorkerStats::add(ctx.stats().malformed_packets);
    return;
  }
  const std::uint64_t now = ctx.now_ms();
  const ChannelBinding* channel = a->channel_by_number(cd->channel, now);
  if (channel == nullptr || !a->has_permission(channel->peer, now)) {
    drop_no_permission(ctx);
    return;
  }
  // A channel to one of our own relays is only safe while that relay lives: once its
  // allocation ends, the port may belong to any socket of this host.
  if (channel->own_relay &&
      !ctx.settings().policy.still_own_relay(channel->peer, RelayProtocol::kUdp)) {
    WorkerStats::add(ctx.stats().peer_denied);
    return;
  }
  if (!within_budget(ctx, a->client_to_peer_limit, cd->payload.size()))
    return;
  ctx.relay_to_peer(*a, channel->peer, cd->payload);
  count_client_to_peer(ctx, *a, cd->payload.size());
}

void on_send_indication(TurnContext& ctx, const ClientKey& key, const stun::MessageView& msg) {
  Allocation* a = ctx.allocations().find(key);
  if (a == nullptr || a->tcp) {  // RFC 6062: a TCP allocation relays through connections only
    WorkerStats::add(ctx.stats().no_allocation_packets);
    return;
  }
  auto peer = msg.get(stun::attr::kXorPeerAddress);
  auto data = msg.get(stun::attr::kData);
  if (!peer || !data) {
    WorkerStats::add(ctx.stats().malformed_packets);  // RFC 8656 §10.2: silently discarded
    return;
  }
  const stun::SocketAddress target = peer->unmapped();
  if (!a->serves(target.family) || !a->has_permission(target, ctx.now_ms())) {
    drop_no_permission(ctx);
    return;
  }
  // Permissions are per IP, but the policy depends on the port on this host's own addresses
  // (live relays only, listeners never): a permission installed for one port of an IP must not
  // open the IP's other ports (CVE-2020-26262 class), nor a relay port after its allocation.
  if (!ctx.settings().policy.allowed(target)) {
    WorkerStats::add(ctx.stats().peer_denied);
    return;
  }
  if (!within_budget(ctx, a->client_to_peer_limit, data->size()))
    return;
  ctx.relay_to_peer(*a, target, *data);
  count_client_to_peer(ctx, *a, data->size());
}

void on_peer_datagram(TurnContext& ctx, Allocation& a, const stun::SocketAddress& peer,
                      stun::MutableBytes data) {
  const std::uint64_t now = ctx.now_ms();
  if (!a.has_permission(peer, now) || data.size() > 0xFFFF - 48) {
    drop_no_permission(ctx);
    return;
  }
  if (!within_budget(ctx, a.peer_to_client_limit, data.size()))
    return;
  // The header is written into the receive buffer's headroom, right in front of the payload,
  // so the datagram goes out as one piece without copying the payload.
  std::uint8_t* const payload = data.data();
  if (const ChannelBinding* channel = a.channel_by_peer(peer, now)) {
    // RFC 8656 §12.5: over UDP no padding is needed.
    std::uint8_t* const header = payload - stun::kChannelDataHeaderSize;
    stun::write_channel_data_header(header, channel->number,
                                    static_cast<std::uint16_t>(data.size()));
    ctx.relay_to_client(a.key, {header, stun::kChannelDataHeaderSize + data.size()});
  } else {
    // Data indication (RFC 8656 §11.3): header and XOR-PEER-ADDRESS built in a scratch block,
    // then placed in front of the payload with the DATA attribute's header; padding to 4 bytes
    // goes into the tailroom.
    std::array<std::uint8_t, RecvBatch::kHeadroom> scratch;
    stun::MessageBuilder b(scratch, stun::pack_type(stun::Method::kData, stun::Class::kIndication),
                           next_indication_id(ctx));
    b.add(stun::attr::kXorPeerAddress, peer);
    const std::size_t at = b.size();
    const std::size_t header_size = at + 4;
    stun::store_u16(scratch.data() + at, static_cast<std::uint16_t>(stun::AttrType::kData));
    stun::store_u16(scratch.data() + at + 2, static_cast<std::uint16_t>(data.size()));
    const std::size_t padding = stun::pad4(data.size()) - data.size();
    stun::store_u16(scratch.data() + 2, static_cast<std::uint16_t>(header_size - stun::kHeaderSize +
                                                                   data.size() + padding));
    std::uint8_t* const header = payload - header_size;
    std::memcpy(header, scratch.data(), header_size);
    std::memset(payload + data.size(), 0, padding);
    ctx.relay_to_client(a.key, {header, header_size + data.size() + padding});
  }
  ++a.traffic.peer_packets;
  a.traffic.peer_bytes += data.size();
  WorkerStats::add(ctx.stats().peer_to_client_packets);
  WorkerStats::add(ctx.stats().peer_to_client_bytes, data.size());
}

}  // namespace turn
