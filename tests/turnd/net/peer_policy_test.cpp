// Peer policy (unit): which peers an allocation may reach.
#include "net/peer_policy.hpp"

#include <doctest/doctest.h>

namespace {

stun::SocketAddress addr(const char* ip, std::uint16_t port = 5000) {
  auto a = stun::SocketAddress::parse_ip(ip);
  REQUIRE(a);
  a->port = port;
  return *a;
}

turn::AddressRange range(const char* text) {
  auto r = turn::AddressRange::parse(text);
  REQUIRE(r);
  return *r;
}

turn::Config base() {
  turn::Config c;
  c.min_port = 50000;
  c.max_port = 50999;
  return c;
}

/// This host: 192.0.2.10 (listening on port 3478, metrics on 9641) and loopback.
turn::OwnAddresses host(std::vector<turn::ExternalMapping> external = {}) {
  turn::OwnAddresses own;
  own.host_ips = {addr("192.0.2.10", 0), addr("127.0.0.1", 0), addr("::1", 0)};
  own.external = std::move(external);
  own.service_ports = {3478, 9641};
  return own;
}

/// A policy for that host, whose live relays are `live`.
turn::PeerPolicy policy(const turn::Config& c, const turn::LiveRelays* live = nullptr) {
  return turn::PeerPolicy(c, host(), live);
}

using turn::PeerDecision;
using turn::RelayProtocol;

}  // namespace

TEST_CASE("peer policy: defaults allow public unicast and deny special-purpose space") {
  const auto c = base();
  const auto p = policy(c);
  for (const char* ok :
       {"8.8.8.8", "1.1.1.1", "93.184.216.34", "2a00:1450:4001::1", "2606:4700::1"}) {
    CAPTURE(ok);
    CHECK(p.allowed(addr(ok)));
  }
  for (const char* bad : {"0.0.0.0",         "10.0.0.1",        "100.64.0.1",   "127.0.0.1",
                          "127.255.255.254", "169.254.169.254", "172.16.0.1",   "172.31.255.255",
                          "192.168.0.1",     "198.18.0.1",      "224.0.0.1",    "239.1.2.3",
                          "240.0.0.1",       "255.255.255.255", "::",           "::1",
                          "fe80::1",         "fc00::1",         "fd12::1",      "ff02::1",
                          "2001:db8::1",     "64:ff9b::a00:1",  "2002:a00:1::1"}) {
    CAPTURE(bad);
    CHECK_FALSE(p.allowed(addr(bad)));
  }
}

TEST_CASE("peer policy: IPv4-mapped and -compatible IPv6 forms are judged as IPv4") {
  const auto c = base();
  const auto p = policy(c);
  CHECK_FALSE(p.allowed(addr("::ffff:127.0.0.1")));
  CHECK_FALSE(p.allowed(addr("::127.0.0.1")));
  CHECK_FALSE(p.allowed(addr("::ffff:10.1.2.3")));
  CHECK_FALSE(p.allowed(addr("::ffff:169.254.169.254")));
  CHECK(p.allowed(addr("::ffff:8.8.8.8")));
}

TEST_CASE("peer policy: allow-loopback-peers") {
  auto c = base();
  c.allow_loopback_peers = true;
  const auto p = policy(c);
  CHECK(p.allowed(addr("127.0.0.1")));
  CHECK(p.allowed(addr("127.1.2.3")));
  CHECK(p.allowed(addr("::1")));
  CHECK(p.allowed(addr("::ffff:127.0.0.1")));
  CHECK_FALSE(p.allowed(addr("10.0.0.1")));  // only loopback opens
}

TEST_CASE("peer policy: allowed-peer-ip opens holes, denied-peer-ip closes more, allow wins") {
  auto c = base();
  c.allowed_peer_ips = {range("10.1.0.0/16"), range("127.0.0.5")};
  c.denied_peer_ips = {range("8.8.0.0/16"), range("10.1.2.3"), range("2a00::/16")};
  const auto p = policy(c);
  CHECK(p.allowed(addr("10.1.2.4")));
  CHECK(p.allowed(addr("10.1.2.3")));  // in both: allowed-peer-ip wins (coturn)
  CHECK_FALSE(p.allowed(addr("10.2.0.1")));
  CHECK(p.allowed(addr("127.0.0.5")));
  CHECK(p.allowed(addr("::ffff:127.0.0.5")));
  CHECK_FALSE(p.allowed(addr("127.0.0.6")));
  CHECK_FALSE(p.allowed(addr("8.8.8.8")));
  CHECK(p.allowed(addr("8.9.8.8")));
  CHECK_FALSE(p.allowed(addr("2a00:1450::1")));
}

TEST_CASE("peer policy: turnd's listening and metrics ports are never a peer on any own address") {
  auto c = base();
  c.allowed_peer_ips = {range("192.0.2.0/24"), range("192.0.2.10")};
  c.allow_loopback_peers = true;
  const auto p = policy(c);
  for (const char* own : {"192.0.2.10", "::ffff:192.0.2.10", "127.0.0.1", "127.1.2.3", "::1"}) {
    CAPTURE(own);
    CHECK_FALSE(p.allowed(addr(own, 3478)));
    CHECK_FALSE(p.allowed(addr(own, 9641)));
  }
  CHECK(p.allowed(addr("192.0.2.10", 3479)));  // named exactly in allowed-peer-ip
  CHECK(p.allowed(addr("127.0.0.1", 3479)));   // allow-loopback-peers
  CHECK(p.allowed(addr("192.0.2.20", 3478)));  // another host of the allowed range
}

TEST_CASE("peer policy: a range opened for the LAN does not open this host's own address") {
  auto c = base();
  c.allowed_peer_ips = {range("192.0.2.0/24")};
  const auto p = policy(c);
  CHECK(p.allowed(addr("192.0.2.20", 22)));
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 22)));  // the relay host's own ssh
}

TEST_CASE("peer policy: own addresses are reachable on live relay ports only") {
  const auto c = base();  // 192.0.2.10 is TEST-NET-1: denied by default
  turn::LiveRelays live;
  const auto p = policy(c, &live);
  // Nothing live yet: every port of the host is refused, relay range or not (the loopback
  // relay hole: the range alone used to be enough).
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 50000)));
  CHECK_FALSE(p.allowed(addr("127.0.0.1", 50000)));
  live.add(addr("192.0.2.10", 50000), RelayProtocol::kUdp);
  live.add(addr("127.0.0.1", 50001), RelayProtocol::kUdp);
  live.add(addr("192.0.2.10", 50002), RelayProtocol::kTcp);
  CHECK(p.decide(addr("192.0.2.10", 50000), RelayProtocol::kUdp) == PeerDecision::kOwnRelay);
  CHECK(p.decide(addr("::ffff:192.0.2.10", 50000), RelayProtocol::kUdp) == PeerDecision::kOwnRelay);
  CHECK(p.decide(addr("127.0.0.1", 50001), RelayProtocol::kUdp) == PeerDecision::kOwnRelay);
  CHECK(p.decide(addr("::ffff:127.0.0.1", 50001), RelayProtocol::kUdp) == PeerDecision::kOwnRelay);
  // A live port on another IP of the host: a loopback service may hold that port on loopback.
  CHECK_FALSE(p.allowed(addr("127.0.0.1", 50000)));
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 50001)));
  // The protocol must match: a UDP relay port does not open a TCP service on that port.
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 50000), RelayProtocol::kTcp));
  CHECK(p.allowed(addr("192.0.2.10", 50002), RelayProtocol::kTcp));
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 50002), RelayProtocol::kUdp));
  // Other ports of the host, and other hosts, are not relays of ours.
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 22)));
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 50003)));
  CHECK_FALSE(p.allowed(addr("192.0.2.11", 50000)));
  // Once the allocation ends, its port is nobody's relay.
  live.remove(50000);
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 50000)));
  CHECK_FALSE(p.still_own_relay(addr("192.0.2.10", 50000), RelayProtocol::kUdp));
  CHECK(p.still_own_relay(addr("127.0.0.1", 50001), RelayProtocol::kUdp));
}

TEST_CASE("peer policy: 0.0.0.0 and :: stay denied, even with a relay bound to the wildcard") {
  auto c = base();
  c.allow_loopback_peers = true;
  c.allowed_peer_ips = {range("0.0.0.0/0")};
  turn::LiveRelays live;
  live.add(addr("0.0.0.0", 50010), RelayProtocol::kUdp);
  live.add(addr("::", 50011), RelayProtocol::kUdp);
  const auto p = policy(c, &live);
  CHECK_FALSE(p.allowed(addr("0.0.0.0", 50010)));
  CHECK_FALSE(p.allowed(addr("::", 50011)));
  CHECK_FALSE(p.allowed(addr("::ffff:0.0.0.0", 50010)));
  // The wildcard relay is reached at any of the host's own addresses.
  CHECK(p.decide(addr("192.0.2.10", 50010), RelayProtocol::kUdp) == PeerDecision::kOwnRelay);
  CHECK(p.decide(addr("::1", 50011), RelayProtocol::kUdp) == PeerDecision::kOwnRelay);
}

TEST_CASE("peer policy: external-ip addresses lead to this host") {
  auto c = base();
  turn::LiveRelays live;
  live.add(addr("192.0.2.10", 50020), RelayProtocol::kUdp);
  const turn::PeerPolicy p(c,
                           host({{addr("203.0.113.5", 0), addr("192.0.2.10", 0)},
                                 {addr("198.51.100.9", 0), std::nullopt}}),
                           &live);
  CHECK(p.decide(addr("203.0.113.5", 50020), RelayProtocol::kUdp) == PeerDecision::kOwnRelay);
  CHECK(p.decide(addr("198.51.100.9", 50020), RelayProtocol::kUdp) == PeerDecision::kOwnRelay);
  // The NAT forwards every port: the listener behind it, and other ports, are not peers.
  CHECK_FALSE(p.allowed(addr("203.0.113.5", 3478)));
  CHECK_FALSE(p.allowed(addr("203.0.113.5", 50021)));
  CHECK_FALSE(p.allowed(addr("198.51.100.9", 22)));
}

TEST_CASE("peer policy: describe() lists the rules") {
  auto c = base();
  c.allowed_peer_ips = {range("10.1.0.0/16")};
  c.denied_peer_ips = {range("8.8.0.0/16")};
  const auto lines = policy(c).describe();
  auto has = [&](const std::string& s) {
    for (const auto& l : lines) {
      if (l.find(s) != std::string::npos)
        return true;
    }
    return false;
  };
  CHECK(has("allow 10.1.0.0-10.1.255.255"));
  CHECK(has("deny 8.8.0.0-8.8.255.255"));
  CHECK(has("deny loopback"));
  CHECK(has("192.0.2.10"));
  CHECK(has("never ports 3478,9641"));
}
