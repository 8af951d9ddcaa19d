// Address families of relays (RFC 8656 §7.2, RFC 6156): dual allocations with
// ADDITIONAL-ADDRESS-FAMILY, REQUESTED-ADDRESS-FAMILY, allocation-default-address-family, and
// which relay a peer of each family is reached from, on a server listening on 127.0.0.1 and ::1.
#include <doctest/doctest.h>

#include <vector>

#include "stun/stun.hpp"
#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

using Bytes = std::vector<std::uint8_t>;

AttrFn additional_ipv6() {
  return [](stun::MessageBuilder& b) {
    b.add(stun::attr::kAdditionalAddressFamily, stun::kFamilyIpv6);
  };
}

AttrFn requested_family(std::uint8_t family) {
  return [family](stun::MessageBuilder& b) { b.add(stun::attr::kRequestedAddressFamily, family); };
}

Message refresh_with_family(TurnClient& c, std::uint8_t family) {
  return c.request(stun::Method::kRefresh, requested_family(family));
}

bool in_relay_range(const stun::SocketAddress& a) {
  return a.port >= 61000 && a.port <= 62999;
}

/// The family of the relay an Allocate without family attributes gets.
std::uint8_t default_relay_family(TurnClient& c) {
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  const auto relays = relayed_addresses(r);
  REQUIRE(relays.size() == 1);
  return relays[0].family;
}

}  // namespace

TEST_CASE("allocate family: ADDITIONAL-ADDRESS-FAMILY=IPv6 relays each family from its relay") {
  TestServer server(dual_stack_config());
  REQUIRE(server.server().listeners().size() == 2);
  std::unique_ptr<TurnClient> c;
  SUBCASE("over UDP") {
    c = std::make_unique<TurnClient>(udp_listener(server));
  }
  SUBCASE("over TCP") {
    c = stream_client(server, Transport::kTcp);
  }
  REQUIRE(c->local().is_v4());
  const Message r = c->allocate(additional_ipv6());
  REQUIRE(r.is_success());
  CHECK(c->verify(r));
  const auto relays = relayed_addresses(r);
  REQUIRE(relays.size() == 2);
  const stun::SocketAddress relay4 = relays[0];
  const stun::SocketAddress relay6 = relays[1];
  CHECK(relay4.same_ip(loopback()));
  CHECK(relay6.same_ip(ipv6_loopback()));
  CHECK(in_relay_range(relay4));
  CHECK(in_relay_range(relay6));
  CHECK_FALSE(r.has(stun::AttrType::kAddressErrorCode));
  CHECK(c->relay() == relay4);
  CHECK(server.totals().active_allocations == 1);

  UdpSocket peer4(loopback());
  UdpSocket peer6(ipv6_loopback());
  // One CreatePermission for both families.
  REQUIRE(c->create_permission({peer4.local(), peer6.local()}).is_success());
  REQUIRE(c->channel_bind(0x4000, peer4.local()).is_success());
  REQUIRE(c->channel_bind(0x4001, peer6.local()).is_success());

  const Bytes to4 = payload_of(100, 4);
  const Bytes to6 = payload_of(106, 6);
  c->send_channel_data(0x4000, to4);
  c->send_channel_data(0x4001, to6);
  auto at4 = peer4.receive();
  auto at6 = peer6.receive();
  REQUIRE(at4);
  REQUIRE(at6);
  CHECK(at4->data == to4);
  CHECK(at4->from == relay4);
  CHECK(at6->data == to6);
  CHECK(at6->from == relay6);

  // Send indications pick the relay of the peer's family too.
  c->send_indication(peer6.local(), payload_of(7, 1));
  auto ind6 = peer6.receive();
  REQUIRE(ind6);
  CHECK(ind6->from == relay6);
  c->send_indication(peer4.local(), payload_of(7, 2));
  auto ind4 = peer4.receive();
  REQUIRE(ind4);
  CHECK(ind4->from == relay4);

  // Peer to client, each through its own relay.
  peer4.send_to(relay4, payload_of(40, 1));
  auto back4 = c->receive_relayed();
  REQUIRE(back4);
  CHECK(back4->channel);
  CHECK(back4->number == 0x4000);
  CHECK(back4->data == payload_of(40, 1));
  peer6.send_to(relay6, payload_of(60, 2));
  auto back6 = c->receive_relayed();
  REQUIRE(back6);
  CHECK(back6->channel);
  CHECK(back6->number == 0x4001);
  CHECK(back6->data == payload_of(60, 2));

  // Refresh naming either family of the dual allocation is accepted.
  const Message refresh6 = refresh_with_family(*c, stun::kFamilyIpv6);
  CHECK(refresh6.is_success());
  CHECK(refresh6.view().get(stun::attr::kLifetime).value_or(0) == 600);
  CHECK(refresh_with_family(*c, stun::kFamilyIpv4).is_success());

  // Both relay ports are released with the allocation.
  REQUIRE(c->refresh(0).is_success());
  CHECK(server.totals().active_allocations == 0);
  CHECK(eventually([&] {
    try {
      UdpSocket take4(relay4);
      UdpSocket take6(relay6);
      return true;
    } catch (const std::runtime_error&) {
      return false;
    }
  }));
}

TEST_CASE(
    "allocate family: a dual allocation on an IPv4-only server is IPv4 + ADDRESS-ERROR-CODE") {
  TestServer server;  // 127.0.0.1 only
  TurnClient c(server.address());
  const Message r = c.allocate(additional_ipv6());
  REQUIRE(r.is_success());
  const auto relays = relayed_addresses(r);
  REQUIRE(relays.size() == 1);
  CHECK(relays[0].is_v4());
  auto error = r.view().get(stun::attr::kAddressErrorCode);
  REQUIRE(error);
  CHECK(error->family == stun::kFamilyIpv6);
  CHECK(error->code == 440);

  // The allocation is IPv4 only: IPv6 peers and an IPv6 Refresh are refused with 443.
  CHECK(c.create_permission({ipv6_loopback(5000)}).error_code() == 443);
  CHECK(refresh_with_family(c, stun::kFamilyIpv6).error_code() == 443);
  CHECK(refresh_with_family(c, stun::kFamilyIpv4).is_success());
  UdpSocket peer;
  REQUIRE(c.channel_bind(0x4000, peer.local()).is_success());
  c.send_channel_data(0x4000, payload_of(9, 9));
  auto got = peer.receive();
  REQUIRE(got);
  CHECK(got->from == relays[0]);
}

TEST_CASE(
    "allocate family: REQUESTED-ADDRESS-FAMILY=IPv6 gives an IPv6 relay; IPv4 peers are 443") {
  TestServer server(dual_stack_config());
  TurnClient c(udp_listener(server));  // an IPv4 client
  const Message r = c.allocate(requested_family(stun::kFamilyIpv6));
  REQUIRE(r.is_success());
  const auto relays = relayed_addresses(r);
  REQUIRE(relays.size() == 1);
  CHECK(relays[0].same_ip(ipv6_loopback()));
  CHECK_FALSE(r.has(stun::AttrType::kAddressErrorCode));
  auto mapped = r.view().get(stun::attr::kXorMappedAddress);
  REQUIRE(mapped);
  CHECK(*mapped == c.local());

  UdpSocket peer4(loopback());
  UdpSocket peer6(ipv6_loopback());
  CHECK(c.create_permission({peer4.local()}).error_code() == 443);
  CHECK(c.channel_bind(0x4000, peer4.local()).error_code() == 443);
  REQUIRE(c.create_permission({peer6.local()}).is_success());
  c.send_indication(peer6.local(), payload_of(33, 3));
  auto got = peer6.receive();
  REQUIRE(got);
  CHECK(got->data == payload_of(33, 3));
  CHECK(got->from == relays[0]);
  CHECK(refresh_with_family(c, stun::kFamilyIpv4).error_code() == 443);

  // Requested and additional family together, or an unknown family, are refused.
  TurnClient both(udp_listener(server));
  CHECK(both.allocate([](stun::MessageBuilder& b) {
              b.add(stun::attr::kRequestedAddressFamily, stun::kFamilyIpv6);
              b.add(stun::attr::kAdditionalAddressFamily, stun::kFamilyIpv6);
            })
            .error_code() == 400);
  CHECK(both.allocate(requested_family(0x03)).error_code() == 440);
  // ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6.
  CHECK(both.allocate([](stun::MessageBuilder& b) {
              b.add(stun::attr::kAdditionalAddressFamily, stun::kFamilyIpv4);
            })
            .error_code() == 400);
  CHECK(server.totals().active_allocations == 1);
}

TEST_CASE("allocate family: allocation-default-address-family picks the family without one asked") {
  auto config = dual_stack_config();
  SUBCASE("ipv4 (RFC 8656 default): even an IPv6 client gets IPv4") {
    config.allocation_default_address_family = turn::Config::AddressFamilyDefault::kIpv4;
    TestServer server(config);
    TurnClient v6(udp_listener(server, stun::kFamilyIpv6));
    REQUIRE(v6.local().is_v6());
    CHECK(default_relay_family(v6) == stun::kFamilyIpv4);
    TurnClient v4(udp_listener(server));
    CHECK(default_relay_family(v4) == stun::kFamilyIpv4);
  }
  SUBCASE("ipv6: an IPv4 client gets IPv6, unless it asks for IPv4") {
    config.allocation_default_address_family = turn::Config::AddressFamilyDefault::kIpv6;
    TestServer server(config);
    TurnClient v4(udp_listener(server));
    REQUIRE(v4.local().is_v4());
    CHECK(default_relay_family(v4) == stun::kFamilyIpv6);
    TurnClient asks4(udp_listener(server));
    const Message r = asks4.allocate(requested_family(stun::kFamilyIpv4));
    REQUIRE(r.is_success());
    CHECK(asks4.relay().is_v4());
    // Over TCP as well.
    auto tcp = stream_client(server, Transport::kTcp);
    CHECK(default_relay_family(*tcp) == stun::kFamilyIpv6);
  }
  SUBCASE("keep: the client's own family") {
    config.allocation_default_address_family = turn::Config::AddressFamilyDefault::kKeep;
    TestServer server(config);
    TurnClient v6(udp_listener(server, stun::kFamilyIpv6));
    REQUIRE(v6.local().is_v6());
    CHECK(default_relay_family(v6) == stun::kFamilyIpv6);
    TurnClient v4(udp_listener(server));
    REQUIRE(v4.local().is_v4());
    CHECK(default_relay_family(v4) == stun::kFamilyIpv4);
    // The IPv6 client's relay really relays to an IPv6 peer.
    UdpSocket peer6(ipv6_loopback());
    REQUIRE(v6.channel_bind(0x4000, peer6.local()).is_success());
    v6.send_channel_data(0x4000, payload_of(12, 1));
    auto got = peer6.receive();
    REQUIRE(got);
    CHECK(got->from == v6.relay());
  }
}

TEST_CASE("allocate family: IPv6 relay-ip and external-ip pick and advertise the IPv6 relay") {
  auto config = dual_stack_config();
  config.relay_ips = {*stun::SocketAddress::parse_ip("127.0.0.1"),
                      *stun::SocketAddress::parse_ip("::1")};
  // Behind NAT on both families: ::1 is published as 2001:db8::7 (RFC 3849 documentation).
  config.external_ips.push_back(
      {*stun::SocketAddress::parse_ip("2001:db8::7"), *stun::SocketAddress::parse_ip("::1")});
  TestServer server(config);
  TurnClient c(udp_listener(server));
  const Message r = c.allocate(additional_ipv6());
  REQUIRE(r.is_success());
  const auto relays = relayed_addresses(r);
  REQUIRE(relays.size() == 2);
  CHECK(relays[0].ip_string() == "127.0.0.1");
  CHECK(relays[1].ip_string() == "2001:db8::7");
  CHECK(in_relay_range(relays[1]));
  // The relay itself is bound on ::1: an IPv6 peer sees it from there.
  UdpSocket peer6(ipv6_loopback());
  REQUIRE(c.create_permission({peer6.local()}).is_success());
  c.send_indication(peer6.local(), Bytes{1, 2, 3});
  auto got = peer6.receive();
  REQUIRE(got);
  CHECK(got->from.ip_string() == "::1");
  CHECK(got->from.port == relays[1].port);
}
