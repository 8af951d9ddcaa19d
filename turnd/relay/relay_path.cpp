#include "relay/relay_path.hpp"

#include <array>

#include "stun/builder.hpp"
#include "stun/channel_data.hpp"

namespace turn {
namespace {

iovec piece(const std::uint8_t* p, std::size_t n) {
  return {const_cast<std::uint8_t*>(p), n};
}

void count_client_to_peer(Worker& w, Allocation& a, std::size_t bytes) {
  ++a.traffic.client_packets;
  a.traffic.client_bytes += bytes;
  WorkerStats::add(w.counters().client_to_peer_packets);
  WorkerStats::add(w.counters().client_to_peer_bytes, bytes);
}

/// max-bps: false (and counted) when the allocation's budget for this direction is spent.
bool within_budget(Worker& w, RateLimiter& limit, std::size_t bytes) {
  if (limit.allow(bytes, w.now_ms()))
    return true;
  WorkerStats::add(w.counters().bandwidth_dropped_packets);
  return false;
}

void drop_no_permission(Worker& w) {
  WorkerStats::add(w.counters().no_permission_packets);
}

/// Data indications get transaction ids that never repeat within a worker; RFC 8489 §6 only asks
/// that they be unique, not secret.
stun::TransactionId next_indication_id(Worker& w) {
  thread_local std::uint64_t counter = 0;
  stun::TransactionId tid{};
  stun::store_u32(tid.data(), w.index());
  stun::store_u64(tid.data() + 4, ++counter);
  return tid;
}

}  // namespace

void on_client_channel_data(Worker& w, const ClientKey& key, stun::Bytes data) {
  Allocation* a = w.find_allocation(key);
  if (a == nullptr) {
    WorkerStats::add(w.counters().no_allocation_packets);
    return;
  }
  auto cd = stun::ChannelDataView::parse(data, w.config().max_channel());
  if (!cd) {
    WorkerStats::add(w.counters().malformed_packets);
    return;
  }
  const std::uint64_t now = w.now_ms();
  const ChannelBinding* channel = a->channel_by_number(cd->channel, now);
  if (channel == nullptr || !a->has_permission(channel->peer, now)) {
    drop_no_permission(w);
    return;
  }
  const iovec out = piece(cd->payload.data(), cd->payload.size());
  if (!within_budget(w, a->client_to_peer_limit, cd->payload.size()))
    return;
  w.send_to_peer(*a, channel->peer, {&out, 1});
  count_client_to_peer(w, *a, cd->payload.size());
}

void on_send_indication(Worker& w, const ClientKey& key, const stun::MessageView& msg) {
  Allocation* a = w.find_allocation(key);
  if (a == nullptr) {
    WorkerStats::add(w.counters().no_allocation_packets);
    return;
  }
  auto peer = msg.get(stun::attr::kXorPeerAddress);
  auto data = msg.get(stun::attr::kData);
  if (!peer || !data) {
    WorkerStats::add(w.counters().malformed_packets);  // RFC 8656 §10.2: silently discarded
    return;
  }
  const stun::SocketAddress target = peer->unmapped();
  if (target.family != a->relay.family || !a->has_permission(target, w.now_ms())) {
    drop_no_permission(w);
    return;
  }
  // Permissions are per IP, but the policy can depend on the port (turnd's own relay addresses
  // are reachable on relay ports only, its listeners never): a permission installed for one
  // port of an IP must not open the IP's other ports (CVE-2020-26262 class).
  if (!w.settings().policy.allowed(target)) {
    WorkerStats::add(w.counters().peer_denied);
    return;
  }
  const iovec out = piece(data->data(), data->size());
  if (!within_budget(w, a->client_to_peer_limit, data->size()))
    return;
  w.send_to_peer(*a, target, {&out, 1});
  count_client_to_peer(w, *a, data->size());
}

void on_peer_datagram(Worker& w, Allocation& a, const stun::SocketAddress& peer, stun::Bytes data) {
  const std::uint64_t now = w.now_ms();
  if (!a.has_permission(peer, now) || data.size() > 0xFFFF - 48) {
    drop_no_permission(w);
    return;
  }
  if (!within_budget(w, a.peer_to_client_limit, data.size()))
    return;
  if (const ChannelBinding* channel = a.channel_by_peer(peer, now)) {
    // RFC 8656 §12.5: over UDP no padding is needed.
    std::uint8_t header[stun::kChannelDataHeaderSize];
    stun::write_channel_data_header(header, channel->number,
                                    static_cast<std::uint16_t>(data.size()));
    const iovec out[] = {piece(header, sizeof(header)), piece(data.data(), data.size())};
    w.send_to_client(a.key, out);
  } else {
    // Data indication: header and XOR-PEER-ADDRESS built in place, then the DATA attribute's
    // header; the payload itself is sent from the receive buffer, padding from a zero block.
    std::array<std::uint8_t, 64> header;
    stun::MessageBuilder b(header, stun::pack_type(stun::Method::kData, stun::Class::kIndication),
                           next_indication_id(w));
    b.add(stun::attr::kXorPeerAddress, peer);
    const std::size_t at = b.size();
    stun::store_u16(header.data() + at, static_cast<std::uint16_t>(stun::AttrType::kData));
    stun::store_u16(header.data() + at + 2, static_cast<std::uint16_t>(data.size()));
    const std::size_t padding = stun::pad4(data.size()) - data.size();
    stun::store_u16(header.data() + 2,
                    static_cast<std::uint16_t>(at + 4 - stun::kHeaderSize + data.size() + padding));
    static constexpr std::uint8_t kZeros[4] = {};
    const iovec out[] = {piece(header.data(), at + 4), piece(data.data(), data.size()),
                         piece(kZeros, padding)};
    w.send_to_client(a.key, out);
  }
  ++a.traffic.peer_packets;
  a.traffic.peer_bytes += data.size();
  WorkerStats::add(w.counters().peer_to_client_packets);
  WorkerStats::add(w.counters().peer_to_client_bytes, data.size());
}

}  // namespace turn
