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

/// A policy for a server listening on 192.0.2.10:3478 and relaying from 192.0.2.10.
turn::PeerPolicy policy(const turn::Config& c) {
  return turn::PeerPolicy(c, {addr("192.0.2.10", 0)}, {addr("192.0.2.10", 3478)});
}

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

TEST_CASE("peer policy: turnd's listening ip:port is never a peer") {
  auto c = base();
  c.allowed_peer_ips = {range("192.0.2.0/24")};
  c.allow_loopback_peers = true;
  const auto p = policy(c);
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 3478)));
  CHECK_FALSE(p.allowed(addr("::ffff:192.0.2.10", 3478)));
  CHECK(p.allowed(addr("192.0.2.10", 3479)));  // via allowed-peer-ip
}

TEST_CASE("peer policy: turnd's own relay addresses are reachable, its other ports are not") {
  const auto c = base();  // 192.0.2.10 is TEST-NET-1: denied by default
  const auto p = policy(c);
  CHECK(p.allowed(addr("192.0.2.10", 50000)));
  CHECK(p.allowed(addr("192.0.2.10", 50999)));
  CHECK(p.allowed(addr("::ffff:192.0.2.10", 50500)));
  // Other services on the relay host are not relay addresses (CVE-2020-26262 class).
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 22)));
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 49999)));
  CHECK_FALSE(p.allowed(addr("192.0.2.10", 51000)));
  CHECK_FALSE(p.allowed(addr("192.0.2.11", 50000)));
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
  CHECK(has("192.0.2.10:3478"));
}
