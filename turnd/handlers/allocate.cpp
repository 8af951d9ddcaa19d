// Allocate (RFC 8656 §7.2): creates the relayed transport address for the client's 5-tuple.
#include <ctime>

#include "handlers/alternate.hpp"
#include "handlers/request.hpp"
#include "userdb/rest_api.hpp"
#include "util/log.hpp"

namespace turn {
namespace {

/// The relay family when the request names none: RFC 8656 §7.2 says IPv4;
/// allocation-default-address-family can make it IPv6 or the client's own family (coturn -A).
std::uint8_t default_family(const Request& r) {
  switch (r.config().allocation_default_address_family) {
    case Config::AddressFamilyDefault::kIpv6:
      return stun::kFamilyIpv6;
    case Config::AddressFamilyDefault::kKeep:
      return r.client().family;
    case Config::AddressFamilyDefault::kIpv4:
      break;
  }
  return stun::kFamilyIpv4;
}

/// The checks of RFC 8656 §7.2 that need no state; sends the error and returns false on failure.
/// On success `family` is the relay address family and `additional` the extra one asked for.
bool check_request(Request& r, std::uint8_t& family, bool& additional_v6, bool& tcp) {
  const auto& msg = r.msg;
  auto transport = msg.get(stun::attr::kRequestedTransport);
  if (!transport) {
    send_error(r, stun::ErrorCode::kBadRequest);
    return false;
  }
  tcp = *transport == stun::kTransportTcp;
  if ((*transport != stun::kTransportUdp && !tcp) || (!tcp && r.config().no_udp_relay) ||
      (tcp && r.config().no_tcp_relay)) {
    send_error(r, stun::ErrorCode::kUnsupportedTransport);
    return false;
  }
  // RFC 6062 §5.1: a TCP relay is asked for over TCP or TLS, and without the UDP-only
  // attributes.
  if (tcp &&
      (!r.ctx.is_stream_client(r.key) || msg.has(stun::AttrType::kEvenPort) ||
       msg.has(stun::AttrType::kReservationToken) || msg.has(stun::AttrType::kDontFragment) ||
       msg.has(stun::AttrType::kAdditionalAddressFamily))) {
    send_error(r, stun::ErrorCode::kBadRequest);
    return false;
  }
  const bool even_port = msg.has(stun::AttrType::kEvenPort);
  const bool token = msg.has(stun::AttrType::kReservationToken);
  const bool requested_family = msg.has(stun::AttrType::kRequestedAddressFamily);
  const bool additional = msg.has(stun::AttrType::kAdditionalAddressFamily);
  if ((even_port && token) || (token && (requested_family || additional)) ||
      (requested_family && additional)) {
    send_error(r, stun::ErrorCode::kBadRequest);
    return false;
  }
  family = default_family(r);
  if (requested_family) {
    auto f = msg.get(stun::attr::kRequestedAddressFamily);
    if (!f || (*f != stun::kFamilyIpv4 && *f != stun::kFamilyIpv6)) {
      send_error(r, stun::ErrorCode::kAddressFamilyNotSupported);
      return false;
    }
    family = *f;
  }
  additional_v6 = false;
  if (additional) {
    // RFC 8656 §7.2: ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6.
    auto f = msg.get(stun::attr::kAdditionalAddressFamily);
    if (!f || *f != stun::kFamilyIpv6) {
      send_error(r, stun::ErrorCode::kBadRequest);
      return false;
    }
    additional_v6 = true;
    family = stun::kFamilyIpv4;  // the dual allocation's first relay is IPv4
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
  p.dont_fragment = msg.has(stun::AttrType::kDontFragment);
  return p;
}

/// RFC 8656 §7.2 dual allocation: the IPv6 relay next to the IPv4 one. When it cannot be had,
/// the allocation stays IPv4-only and ADDRESS-ERROR-CODE says why for the IPv6 half.
void add_ipv6_relay(Request& r, Allocation& a, stun::MessageBuilder& b) {
  auto ip = r.shared().relay_ip_for(r.config(), stun::kFamilyIpv6,
                                    r.ctx.listener_address(r.key.listener));
  if (!ip) {
    b.add(stun::attr::kAddressErrorCode,
          address_error(stun::kFamilyIpv6, stun::ErrorCode::kAddressFamilyNotSupported));
    return;
  }
  if (!r.ctx.allocations().add_second_relay(a, *ip)) {
    b.add(stun::attr::kAddressErrorCode,
          address_error(stun::kFamilyIpv6, stun::ErrorCode::kInsufficientCapacity));
    return;
  }
  a.second_advertised = SharedState::advertised(r.config(), a.second_relay);
  b.add(stun::attr::kXorRelayedAddress, a.second_advertised);
}

void log_start(const Request& r, const Allocation& a) {
  if (!log::enabled(log::Level::kInfo))
    return;
  log::info("allocation start: client=" + r.client().to_string() + " transport=" +
            std::string(r.ctx.transport_name(r.key)) + " user=" + log::sanitize(a.user) +
            " realm=" + r.config().realm + " relay=" + a.advertised.to_string() +
            (a.dual() ? " relay6=" + a.second_advertised.to_string() : "") +
            " lifetime=" + std::to_string(a.lifetime_s) + "s");
}

}  // namespace

void handle_allocate(Request& r) {
  if (Allocation* existing = r.ctx.allocations().find(r.key)) {
    // RFC 8656 §7.2: a retransmission gets the same answer; any other Allocate gets 437.
    if (existing->allocate_tid == r.msg.transaction_id() && !existing->allocate_response.empty()) {
      r.ctx.send_to_client(r.key, existing->allocate_response);
    } else {
      send_error(r, stun::ErrorCode::kAllocationMismatch);
    }
    return;
  }
  std::uint8_t family = 0;
  bool additional_v6 = false;
  bool tcp = false;
  if (!check_request(r, family, additional_v6, tcp))
    return;
  // ALTERNATE-SERVER (RFC 8489 §10): coturn's redirect, turnd's overflow mode, and where a
  // draining server sends new clients when it has alternates.
  if (redirect_allocate(r))
    return;
  SharedState& shared = r.shared();
  if (shared.draining.load(std::memory_order_relaxed)) {
    // Draining for a restart or upgrade, with no alternate to name: the client should use its
    // next server (RFC 8656 §7.2: 508 when the server cannot take the allocation now).
    send_error(r, stun::ErrorCode::kInsufficientCapacity);
    return;
  }
  const stun::SocketAddress& local = r.ctx.listener_address(r.key.listener);
  auto relay_ip = shared.relay_ip_for(r.config(), family, local);
  bool ipv4_failed = false;
  if (!relay_ip && additional_v6) {
    // RFC 8656 §7.2: a dual allocation whose IPv4 half cannot be had is served with the IPv6
    // relay alone, and ADDRESS-ERROR-CODE says so for IPv4.
    relay_ip = shared.relay_ip_for(r.config(), stun::kFamilyIpv6, local);
    additional_v6 = false;
    ipv4_failed = relay_ip.has_value();
  }
  if (!relay_ip) {
    send_error(r, stun::ErrorCode::kAddressFamilyNotSupported);
    return;
  }
  // user-quota counts the user a TURN REST credential stands for, not the credential itself.
  const std::string quota_user =
      r.config().use_auth_secret
          ? userdb::rest_real_username(r.auth.user, r.config().rest_api_separator)
          : r.auth.user;
  auto requested = r.msg.get(stun::attr::kLifetime);
  AllocationRequest request;
  request.listener = r.ctx.listener_address(r.key.listener);
  request.relay_ip = *relay_ip;
  request.tcp = tcp;
  request.ports = port_request(r.msg);
  request.user = r.auth.user;
  request.quota_user = quota_user;
  request.transport = r.ctx.transport_of(r.key);
  request.max_bps = shared.max_bps.load(std::memory_order_relaxed);
  request.bps_capacity = r.config().bps_capacity;
  request.lifetime_s =
      negotiate_lifetime(r.config(), requested ? std::optional(*requested) : std::nullopt);
  const Created created = r.ctx.allocations().create(r.key, std::move(request), r.now_ms());
  if (!created) {
    send_error(r, created.error);  // what it took before failing is given back already
    return;
  }
  Allocation* a = created.allocation;
  a->advertised = SharedState::advertised(r.config(), a->relay);
  a->dont_fragment = r.msg.has(stun::AttrType::kDontFragment);

  Response response(r, stun::Class::kSuccess);
  auto& b = response.builder();
  b.add(stun::attr::kXorRelayedAddress, a->advertised);
  b.add(stun::attr::kLifetime, a->lifetime_s);
  if (a->reservation_token)
    b.add(stun::attr::kReservationToken, *a->reservation_token);
  b.add(stun::attr::kXorMappedAddress, r.client());
  if (additional_v6)
    add_ipv6_relay(r, *a, b);
  if (ipv4_failed)
    b.add(stun::attr::kAddressErrorCode,
          address_error(stun::kFamilyIpv4, stun::ErrorCode::kAddressFamilyNotSupported));
  const stun::Bytes sent = response.send();
  a->allocate_tid = r.msg.transaction_id();
  a->allocate_response.assign(sent.begin(), sent.end());
  log_start(r, *a);
}

}  // namespace turn
