// Allocate over the wire (RFC 8656 §7.2).
#include <doctest/doctest.h>

#include "support/printers.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

turn::Config one_port_config() {
  auto config = test_config();
  config.min_port = config.max_port = free_udp_port();
  return config;
}

}  // namespace

TEST_CASE("allocate: success carries XOR-RELAYED-ADDRESS, LIFETIME and XOR-MAPPED-ADDRESS") {
  TestServer server;
  TurnClient c(server.address());
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  auto v = r.view();
  auto relayed = v.get(stun::attr::kXorRelayedAddress);
  REQUIRE(relayed);
  CHECK(relayed->same_ip(loopback()));
  CHECK(relayed->port >= 61000);
  CHECK(relayed->port <= 62999);
  CHECK(v.get(stun::attr::kLifetime).value_or(0) == 600);  // RFC 8656 §7.2 default
  auto mapped = v.get(stun::attr::kXorMappedAddress);
  REQUIRE(mapped);
  CHECK(*mapped == c.local());
  CHECK(server.totals().allocations_created == 1);
  CHECK(server.totals().active_allocations == 1);

  // The relay port is really bound by the server: nobody else can take it.
  CHECK_THROWS(UdpSocket{*relayed});
}

TEST_CASE("allocate: LIFETIME is capped by max-allocate-lifetime, shorter asks get the default") {
  auto config = test_config();
  config.max_allocate_lifetime = 900;
  TestServer server(config);
  auto ask = [&](std::optional<std::uint32_t> lifetime) {
    TurnClient c(server.address());
    const Message r = c.allocate([&](stun::MessageBuilder& b) {
      if (lifetime)
        b.add(stun::attr::kLifetime, *lifetime);
    });
    REQUIRE(r.is_success());
    return r.view().get(stun::attr::kLifetime).value_or(0);
  };
  CHECK(ask(std::nullopt) == 600);
  CHECK(ask(3600) == 900);
  CHECK(ask(800) == 800);
  CHECK(ask(30) == 600);

  auto small = test_config();
  small.max_allocate_lifetime = 2;
  TestServer capped(small);
  TurnClient c(capped.address());
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  CHECK(r.view().get(stun::attr::kLifetime).value_or(0) == 2);
}

TEST_CASE("allocate: REQUESTED-TRANSPORT missing is 400, TCP over UDP is 400, SCTP is 442") {
  TestServer server;
  TurnClient c(server.address());
  const Message missing = c.request(stun::Method::kAllocate);
  CHECK(missing.error_code() == 400);
  CHECK(c.verify(missing));
  const Message tcp = c.request(stun::Method::kAllocate, [](stun::MessageBuilder& b) {
    b.add(stun::attr::kRequestedTransport, stun::kTransportTcp);
  });
  CHECK(tcp.error_code() == 400);  // RFC 6062 §5.1: a TCP relay is asked for over TCP or TLS
  const Message sctp = c.request(stun::Method::kAllocate, [](stun::MessageBuilder& b) {
    b.add(stun::attr::kRequestedTransport, std::uint8_t{132});
  });
  CHECK(sctp.error_code() == 442);
  CHECK(server.totals().allocations_created == 0);
  CHECK(c.allocate().is_success());
}

TEST_CASE("allocate: a second Allocate on the same 5-tuple is 437, a retransmission is replayed") {
  TestServer server;
  TurnClient c(server.address());
  // Learn the nonce first so the retransmission below carries exactly the same bytes.
  const Message challenge = c.request(stun::Method::kAllocate, {}, no_auth());
  REQUIRE(challenge.error_code() == 401);
  c.set_realm(std::string(challenge.view().get(stun::attr::kRealm).value_or("")));
  c.set_nonce(std::string(challenge.view().get(stun::attr::kNonce).value_or("")));
  const auto tid = random_tid();
  RequestOptions opt;
  opt.retry = false;
  const auto request = c.build(
      stun::Method::kAllocate,
      [](stun::MessageBuilder& b) { b.add(stun::attr::kRequestedTransport, stun::kTransportUdp); },
      opt, tid);
  auto first = c.exchange(request, tid);
  REQUIRE(first);
  REQUIRE(first->is_success());

  // RFC 8656 §7.2: the same transaction again gets the same success response, byte for byte.
  auto again = c.exchange(request, tid);
  REQUIRE(again);
  CHECK(again->bytes() == first->bytes());
  CHECK(server.totals().allocations_created == 1);

  // A new transaction on the same 5-tuple is an allocation mismatch.
  const Message mismatch = c.allocate();
  CHECK(mismatch.error_code() == 437);
  CHECK(server.totals().allocations_created == 1);
  CHECK(server.totals().active_allocations == 1);
}

TEST_CASE("allocate: address families (RFC 8656 §7.2, RFC 6156)") {
  TestServer server;
  SUBCASE("IPv6 asked of an IPv4-only server: 440") {
    TurnClient c(server.address());
    const Message r = c.allocate([](stun::MessageBuilder& b) {
      b.add(stun::attr::kRequestedAddressFamily, stun::kFamilyIpv6);
    });
    CHECK(r.error_code() == 440);
  }
  SUBCASE("an unknown family value: 440") {
    TurnClient c(server.address());
    const Message r = c.allocate([](stun::MessageBuilder& b) {
      b.add(stun::attr::kRequestedAddressFamily, std::uint8_t{0x03});
    });
    CHECK(r.error_code() == 440);
  }
  SUBCASE("IPv4 asked explicitly: granted") {
    TurnClient c(server.address());
    const Message r = c.allocate([](stun::MessageBuilder& b) {
      b.add(stun::attr::kRequestedAddressFamily, stun::kFamilyIpv4);
    });
    REQUIRE(r.is_success());
    CHECK(c.relay().is_v4());
  }
  SUBCASE("ADDITIONAL-ADDRESS-FAMILY IPv6: IPv4 granted, ADDRESS-ERROR-CODE 440 for IPv6") {
    TurnClient c(server.address());
    const Message r = c.allocate([](stun::MessageBuilder& b) {
      b.add(stun::attr::kAdditionalAddressFamily, stun::kFamilyIpv6);
    });
    REQUIRE(r.is_success());
    CHECK(c.relay().is_v4());
    auto error = r.view().get(stun::attr::kAddressErrorCode);
    REQUIRE(error);
    CHECK(error->family == stun::kFamilyIpv6);
    CHECK(error->code == 440);
  }
  SUBCASE("REQUESTED-ADDRESS-FAMILY with ADDITIONAL-ADDRESS-FAMILY: 400") {
    TurnClient c(server.address());
    const Message r = c.allocate([](stun::MessageBuilder& b) {
      b.add(stun::attr::kRequestedAddressFamily, stun::kFamilyIpv4);
      b.add(stun::attr::kAdditionalAddressFamily, stun::kFamilyIpv6);
    });
    CHECK(r.error_code() == 400);
  }
  CHECK(server.totals().allocations_created <= 2);
}

TEST_CASE("allocate: EVEN-PORT gives an even relay port") {
  TestServer server;
  for (int i = 0; i < 5; ++i) {
    TurnClient c(server.address());
    const Message r =
        c.allocate([](stun::MessageBuilder& b) { b.add(stun::attr::kEvenPort, false); });
    REQUIRE(r.is_success());
    CHECK(c.relay().port % 2 == 0);
    CHECK_FALSE(r.has(stun::AttrType::kReservationToken));
  }
}

TEST_CASE("allocate: EVEN-PORT with R reserves port+1 for a RESERVATION-TOKEN") {
  TestServer server;
  TurnClient first(server.address());
  const Message r =
      first.allocate([](stun::MessageBuilder& b) { b.add(stun::attr::kEvenPort, true); });
  REQUIRE(r.is_success());
  CHECK(first.relay().port % 2 == 0);
  auto token = r.view().get(stun::attr::kReservationToken);
  REQUIRE(token);

  // The reserved port is bound at once: another program (the relay range overlaps the
  // ephemeral range) cannot take it before the token is used.
  stun::SocketAddress reserved = first.relay();
  reserved.port = static_cast<std::uint16_t>(reserved.port + 1);
  CHECK_THROWS(UdpSocket{reserved});

  TurnClient second(server.address());
  const Message r2 = second.allocate(
      [&](stun::MessageBuilder& b) { b.add(stun::attr::kReservationToken, *token); });
  REQUIRE(r2.is_success());
  CHECK(second.relay().port == first.relay().port + 1);
  CHECK(second.relay().same_ip(first.relay()));

  // A token is good for one allocation only.
  TurnClient third(server.address());
  const Message r3 = third.allocate(
      [&](stun::MessageBuilder& b) { b.add(stun::attr::kReservationToken, *token); });
  CHECK(r3.error_code() == 508);
}

TEST_CASE("allocate: EVEN-PORT together with RESERVATION-TOKEN is 400") {
  TestServer server;
  TurnClient c(server.address());
  const Message r = c.allocate([](stun::MessageBuilder& b) {
    b.add(stun::attr::kEvenPort, false);
    b.add(stun::attr::kReservationToken, std::uint64_t{0x0102030405060708});
  });
  CHECK(r.error_code() == 400);
  CHECK(server.totals().allocations_created == 0);
}

TEST_CASE("allocate: user-quota refuses a user's extra allocation with 486") {
  auto config = test_config();
  config.user_quota = 1;
  TestServer server(config);
  TurnClient a1(server.address(), "alice", "alice-pass");
  TurnClient a2(server.address(), "alice", "alice-pass");
  TurnClient b1(server.address(), "bob", "bob-pass");
  REQUIRE(a1.allocate().is_success());
  const Message refused = a2.allocate();
  CHECK(refused.error_code() == 486);
  CHECK(a2.verify(refused));
  CHECK(b1.allocate().is_success());  // the quota is per user
  // Freeing alice's allocation frees her quota.
  REQUIRE(a1.refresh(0).is_success());
  CHECK(a2.allocate().is_success());
}

TEST_CASE("allocate: total-quota refuses any extra allocation with 486") {
  auto config = test_config();
  config.total_quota = 2;
  TestServer server(config);
  TurnClient a(server.address(), "alice", "alice-pass");
  TurnClient b(server.address(), "bob", "bob-pass");
  TurnClient c(server.address(), "alice", "alice-pass");
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  CHECK(c.allocate().error_code() == 486);
  CHECK(server.totals().active_allocations == 2);
  REQUIRE(b.refresh(0).is_success());
  CHECK(c.allocate().is_success());
}

TEST_CASE("allocate: an exhausted port range is 508 Insufficient Capacity") {
  TestServer server(one_port_config());
  TurnClient a(server.address());
  TurnClient b(server.address());
  const Message ok = a.allocate();
  REQUIRE(ok.is_success());
  const Message full = b.allocate();
  CHECK(full.error_code() == 508);
  CHECK(server.totals().active_allocations == 1);
}

TEST_CASE("allocate: external-ip PUBLIC is advertised with the real relay port") {
  auto config = test_config();
  config.external_ips.push_back({*stun::SocketAddress::parse_ip("203.0.113.5"), std::nullopt});
  TestServer server(config);
  TurnClient c(server.address());
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  const stun::SocketAddress advertised = c.relay();
  CHECK(advertised.ip_string() == "203.0.113.5");
  CHECK(advertised.port >= 61000);
  CHECK(advertised.port <= 62999);
  // The relay socket itself is on the listener's address with the advertised port.
  CHECK_THROWS(UdpSocket{loopback(advertised.port)});
  // XOR-MAPPED-ADDRESS is not mapped: it is what the server saw.
  CHECK(*r.view().get(stun::attr::kXorMappedAddress) == c.local());
}

TEST_CASE("allocate: external-ip PUBLIC/PRIVATE maps only that private address") {
  auto config = test_config();
  config.external_ips.push_back(
      {*stun::SocketAddress::parse_ip("198.51.100.9"), *stun::SocketAddress::parse_ip("10.1.1.1")});
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  CHECK(c.relay().same_ip(loopback()));  // 127.0.0.1 is not 10.1.1.1: not mapped
}

TEST_CASE("allocate: DONT-FRAGMENT is accepted") {
  TestServer server;
  TurnClient c(server.address());
  const Message r = c.allocate([](stun::MessageBuilder& b) {
    b.add(stun::attr::kDontFragment, stun::codec::Empty::Value{});
  });
  REQUIRE(r.is_success());
  CHECK(c.relay().port >= 61000);
}

TEST_CASE("allocate: an unknown comprehension-required attribute is 420 (after authentication)") {
  TestServer server;
  TurnClient c(server.address());
  const Message r = c.allocate([](stun::MessageBuilder& b) {
    const std::uint8_t v[4] = {};
    b.add_raw(0x7FAB, stun::Bytes(v, 4));
  });
  CHECK(r.error_code() == 420);
  auto unknown = r.view().get(stun::attr::kUnknownAttributes);
  REQUIRE(unknown);
  REQUIRE(unknown->size() == 1);
  CHECK((*unknown)[0] == 0x7FAB);
  CHECK(c.verify(r));
  CHECK(server.totals().allocations_created == 0);
}

TEST_CASE("allocate: a classic RFC 3489 Allocate is refused with 400") {
  TestServer server;
  UdpSocket sock;
  std::uint8_t request[28] = {0x00, 0x03, 0x00, 0x08};  // Allocate request, no magic cookie
  for (int i = 4; i < 20; ++i)
    request[i] = static_cast<std::uint8_t>(i);
  request[20] = 0x00, request[21] = 0x19, request[22] = 0x00, request[23] = 0x04;
  request[24] = stun::kTransportUdp;
  sock.send_to(server.address(), stun::Bytes(request, sizeof(request)));
  auto d = sock.receive();
  REQUIRE(d);
  Message r(d->data);
  CHECK(r.error_code() == 400);
  CHECK(server.totals().allocations_created == 0);
}
