// Allocate (RFC 8656 §7.2): creates the relayed transport address for the client's 5-tuple.
#include <ctime>

#include "handlers/request.hpp"
#include "net/udp_socket.hpp"
#include "util/log.hpp"

namespace turn {
namespace {

/// The checks of RFC 8656 §7.2 that need no state; sends the error and returns false on failure.
/// On success `family` is the relay address family and `additional` the extra one asked for.
bool check_request(Request& r, std::uint8_t& family, bool& additional_v6) {
  const auto& msg = r.msg;
  auto transport = msg.get(stun::attr::kRequestedTransport);
  if (!transport) {
    send_error(r, 400, "Bad Request");
    return false;
  }
  if (*transport != stun::kTransportUdp || r.config().no_udp_relay) {
    send_error(r, 442, "Unsupported Transport Protocol");
    return false;
  }
  const bool even_port = msg.has(stun::AttrType::kEvenPort);
  const bool token = msg.has(stun::AttrType::kReservationToken);
  const bool requested_family = msg.has(stun::AttrType::kRequestedAddressFamily);
  const bool additional = msg.has(stun::AttrType::kAdditionalAddressFamily);
  if ((even_port && token) || (token && (requested_family || additional)) ||
      (requested_family && additional)) {
    send_error(r, 400, "Bad Request");
    return false;
  }
  family = stun::kFamilyIpv4;  // RFC 8656 §7.2: IPv4 unless asked otherwise
  if (requested_family) {
    auto f = msg.get(stun::attr::kRequestedAddressFamily);
    if (!f || (*f != stun::kFamilyIpv4 && *f != stun::kFamilyIpv6)) {
      send_error(r, 440, "Address Family not Supported");
      return false;
    }
    family = *f;
  }
  additional_v6 = false;
  if (additional) {
    // RFC 8656 §7.2: ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6.
    auto f = msg.get(stun::attr::kAdditionalAddressFamily);
    if (!f || *f != stun::kFamilyIpv6) {
      send_error(r, 400, "Bad Request");
      return false;
    }
    additional_v6 = true;
  }
  return true;
}

PortRequest port_request(const stun::MessageView& msg) {
  PortRequest p;
  if (auto even = msg.get(stun::attr::kEvenPort)) {
    p.even = true;
    p.reserve_next = *even;
  }
  if (auto token = msg.get(stun::attr::kReservationToken))
    p.reservation_token = *token;
  return p;
}

void log_start(const Request& r, const Allocation& a) {
  if (!log::enabled(log::Level::kInfo))
    return;
  log::info("allocation start: client=" + r.client().to_string() +
            " transport=UDP user=" + log::sanitize(a.user) + " realm=" + r.config().realm +
            " relay=" + a.advertised.to_string() + " lifetime=" + std::to_string(a.lifetime_s) +
            "s");
}

}  // namespace

void handle_allocate(Request& r) {
  if (Allocation* existing = r.worker.find_allocation(r.key)) {
    // RFC 8656 §7.2: a retransmission gets the same answer; any other Allocate gets 437.
    if (existing->allocate_tid == r.msg.transaction_id() && !existing->allocate_response.empty()) {
      r.worker.send_to_client(r.key, existing->allocate_response);
    } else {
      send_error(r, 437, "Allocation Mismatch");
    }
    return;
  }
  std::uint8_t family = 0;
  bool additional_v6 = false;
  if (!check_request(r, family, additional_v6))
    return;
  SharedState& shared = r.shared();
  if (shared.draining.load(std::memory_order_relaxed)) {
    // Draining for a restart or upgrade: the client should use its next server (RFC 8656 §7.2:
    // 508 when the server cannot take the allocation now).
    send_error(r, 508, "Insufficient Capacity");
    return;
  }
  auto relay_ip = shared.relay_ip_for(r.config(), family, r.worker.listener(r.key.listener).local);
  if (!relay_ip) {
    send_error(r, 440, "Address Family not Supported");
    return;
  }
  if (!shared.quota.acquire(r.auth.user)) {
    send_error(r, 486, "Allocation Quota Reached");
    return;
  }
  std::optional<std::uint64_t> token;
  Allocation* a = r.worker.create_allocation(r.key, *relay_ip, port_request(r.msg), token);
  if (a == nullptr) {
    shared.quota.release(r.auth.user);
    send_error(r, 508, "Insufficient Capacity");
    return;
  }
  a->user = r.auth.user;
  auto requested = r.msg.get(stun::attr::kLifetime);
  a->lifetime_s =
      negotiate_lifetime(r.config(), requested ? std::optional(*requested) : std::nullopt);
  a->expires_ms = r.now_ms() + std::uint64_t{a->lifetime_s} * 1000;
  const std::uint64_t max_bps = shared.max_bps.load(std::memory_order_relaxed);
  a->client_to_peer_limit.set_rate(max_bps, r.now_ms());
  a->peer_to_client_limit.set_rate(max_bps, r.now_ms());
  if (r.msg.has(stun::AttrType::kDontFragment)) {
    a->dont_fragment = true;
    set_dont_fragment(a->relay_fd(), a->relay.is_v6());
  }

  Response response(r, stun::Class::kSuccess);
  auto& b = response.builder();
  b.add(stun::attr::kXorRelayedAddress, a->advertised);
  b.add(stun::attr::kLifetime, a->lifetime_s);
  if (token)
    b.add(stun::attr::kReservationToken, *token);
  b.add(stun::attr::kXorMappedAddress, r.client());
  if (additional_v6) {
    // Dual allocation is not offered on this listener: say so for the IPv6 half (RFC 8656 §7.2).
    b.add(stun::attr::kAddressErrorCode, {stun::kFamilyIpv6, 440, "Address Family not Supported"});
  }
  const stun::Bytes sent = response.send();
  a->allocate_tid = r.msg.transaction_id();
  a->allocate_response.assign(sent.begin(), sent.end());
  log_start(r, *a);
}

}  // namespace turn
