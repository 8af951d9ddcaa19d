// ALTERNATE-SERVER over real sockets (RFC 8489 §10, §14.8, §14.15, §14.16): coturn's 300 Try
// Alternate round robin per address family, the node that finds itself in the list, the TLS
// list with ALTERNATE-DOMAIN, turnd's overflow mode, and where a draining server sends clients.
#include <doctest/doctest.h>

#include "handlers/alternate.hpp"
#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

stun::SocketAddress addr(const char* text) {
  auto a = stun::SocketAddress::parse(text);
  REQUIRE(a);
  return *a;
}

/// The ALTERNATE-SERVER of a 300 answer (checked: signed with the client's key).
stun::SocketAddress alternate_of(const TurnClient& c, const Message& r) {
  REQUIRE(r.error_code() == 300);
  CHECK(c.verify(r));  // RFC 8489 §14.8: the 300 MUST carry MESSAGE-INTEGRITY
  auto a = r.view().get(stun::attr::kAlternateServer);
  REQUIRE(a);
  return *a;
}

}  // namespace

TEST_CASE("alternate: every Allocate gets 300 with the next alternate of its family") {
  auto config = test_config();
  config.alternate_servers = {addr("192.0.2.1:3478"), addr("[2001:db8::1]:3478"),
                              addr("192.0.2.2:3479")};
  config.alternate_domain = "turn.example.org";  // TLS/DTLS only
  TestServer server(config);
  TurnClient c(server.address());
  // Round robin over the list, skipping the IPv6 entry for this IPv4 client (coturn's order).
  CHECK(alternate_of(c, c.allocate()) == addr("192.0.2.1:3478"));
  const Message second = c.allocate();
  CHECK(alternate_of(c, second) == addr("192.0.2.2:3479"));
  CHECK_FALSE(second.has(stun::AttrType::kAlternateDomain));
  CHECK(alternate_of(c, c.allocate()) == addr("192.0.2.1:3478"));
  // Nothing was allocated, and every 300 was counted.
  CHECK(server.totals().allocations_created == 0);
  CHECK(server.totals().alternate_redirects == 3);
}

TEST_CASE("alternate: an IPv6 client is sent to an IPv6 alternate") {
  auto config = dual_stack_config();
  config.alternate_servers = {addr("192.0.2.1:3478"), addr("[2001:db8::1]:3478")};
  TestServer server(config);
  TurnClient c6(udp_listener(server, stun::kFamilyIpv6));
  CHECK(alternate_of(c6, c6.allocate()) == addr("[2001:db8::1]:3478"));
  CHECK(alternate_of(c6, c6.allocate()) == addr("[2001:db8::1]:3478"));
  TurnClient c4(udp_listener(server, stun::kFamilyIpv4));
  CHECK(alternate_of(c4, c4.allocate()) == addr("192.0.2.1:3478"));
}

TEST_CASE("alternate: no alternate of the client's family: served here") {
  auto config = test_config();
  config.alternate_servers = {addr("[2001:db8::1]:3478")};
  TestServer server(config);
  TurnClient c(server.address());
  CHECK(c.allocate().is_success());
  CHECK(server.totals().alternate_redirects == 0);
}

TEST_CASE("alternate: only authenticated requests are redirected") {
  auto config = test_config();
  config.alternate_servers = {addr("192.0.2.1:3478")};
  TestServer server(config);
  TurnClient c(server.address());
  // A request without credentials learns nothing but the challenge (a forged UDP source can
  // never get a 300: RFC 8489 §14.8 allows it only after a valid MESSAGE-INTEGRITY).
  auto o = no_auth();
  o.retry = false;
  CHECK(c.allocate({}, o).error_code() == 401);
  CHECK(server.totals().alternate_redirects == 0);

  auto open = test_config();
  open.no_auth = true;
  open.alternate_servers = {addr("192.0.2.1:3478")};
  TestServer unauthenticated(open);
  TurnClient anyone(unauthenticated.address());
  CHECK(anyone.allocate({}, no_auth()).is_success());  // no credentials: never a 300
}

TEST_CASE("alternate: a node in its own list serves locally; lists reload live (SIGHUP)") {
  auto config = test_config();
  TestServer server(config);
  const stun::SocketAddress self = server.address();
  auto next = config;
  next.log_min_level = "error";  // a reload applies the logging options: keep the output quiet
  server.server().set_config_loader([&next] { return next; });

  TurnClient a(server.address());
  REQUIRE(a.allocate().is_success());  // no alternates yet

  // The cluster's shared list names this node: coturn serves everything here (no cycles).
  next.alternate_servers = {addr("192.0.2.1:3478"), self};
  REQUIRE(server.server().reload());
  TurnClient b(server.address(), "bob", "bob-pass");
  CHECK(b.allocate().is_success());

  // Without itself in the list, the next Allocate goes away.
  next.alternate_servers = {addr("192.0.2.1:3478")};
  REQUIRE(server.server().reload());
  TurnClient c(server.address());
  CHECK(alternate_of(c, c.allocate()) == addr("192.0.2.1:3478"));
  CHECK(a.refresh(600).is_success());  // running allocations are not touched
}

TEST_CASE("alternate: TLS clients get tls-alternate-server and ALTERNATE-DOMAIN, TCP the other") {
  TestPki pki;
  auto config = tls_config(pki);
  config.alternate_servers = {addr("192.0.2.1:3478")};
  config.tls_alternate_servers = {addr("192.0.2.5:5349")};
  config.alternate_domain = "turn.example.org";
  TestServer server(config);

  auto tls = stream_client(server, Transport::kTls);
  const Message r = tls->allocate();
  CHECK(alternate_of(*tls, r) == addr("192.0.2.5:5349"));
  auto domain = r.view().get(stun::attr::kAlternateDomain);
  REQUIRE(domain);
  CHECK(*domain == "turn.example.org");

  auto tcp = stream_client(server, Transport::kTcp, "bob", "bob-pass");
  const Message t = tcp->allocate();
  CHECK(alternate_of(*tcp, t) == addr("192.0.2.1:3478"));
  CHECK_FALSE(t.has(stun::AttrType::kAlternateDomain));
}

TEST_CASE("alternate: TLS clients fall back to alternate-server, as coturn's") {
  TestPki pki;
  auto config = tls_config(pki);
  config.alternate_servers = {addr("192.0.2.1:3478")};
  TestServer server(config);
  auto tls = stream_client(server, Transport::kTls);
  const Message r = tls->allocate();
  CHECK(alternate_of(*tls, r) == addr("192.0.2.1:3478"));
  CHECK_FALSE(r.has(stun::AttrType::kAlternateDomain));  // none configured
}

TEST_CASE("alternate: udp- and tcp-alternate-server apply to their transport only") {
  auto config = test_config();
  config.alternate_servers = {addr("192.0.2.1:3478")};
  config.udp_alternate_servers = {addr("192.0.2.7:3478")};
  TestServer server(config);
  TurnClient udp(server.address());
  CHECK(alternate_of(udp, udp.allocate()) == addr("192.0.2.7:3478"));
  auto tcp = stream_client(server, Transport::kTcp);
  CHECK(alternate_of(*tcp, tcp->allocate()) == addr("192.0.2.1:3478"));
}

TEST_CASE("alternate: overflow mode serves here until total-quota, then redirects") {
  auto config = test_config();
  config.alternate_servers = {addr("192.0.2.1:3478")};
  config.alternate_server_mode = turn::Config::AlternateMode::kOverflow;
  config.total_quota = 2;
  TestServer server(config);
  TurnClient a(server.address());
  TurnClient b(server.address(), "bob", "bob-pass");
  TurnClient c(server.address());
  CHECK(a.allocate().is_success());
  CHECK(b.allocate().is_success());
  CHECK(alternate_of(c, c.allocate()) == addr("192.0.2.1:3478"));  // full: not 486
  CHECK(server.totals().alternate_redirects == 1);
  // Room again: served here.
  CHECK(a.refresh(0).is_success());
  CHECK(c.allocate().is_success());
}

TEST_CASE("alternate: overflow mode redirects at bps-capacity") {
  auto config = test_config();
  config.alternate_servers = {addr("192.0.2.1:3478")};
  config.alternate_server_mode = turn::Config::AlternateMode::kOverflow;
  config.max_bps = 1000;
  config.bps_capacity = 1500;  // room for one allocation's 1000
  TestServer server(config);
  TurnClient a(server.address());
  TurnClient b(server.address(), "bob", "bob-pass");
  CHECK(a.allocate().is_success());
  CHECK(alternate_of(b, b.allocate()) == addr("192.0.2.1:3478"));  // not 508
}

TEST_CASE("alternate: a draining server redirects, skipping itself; without alternates 508") {
  auto config = test_config();
  config.alternate_server_mode = turn::Config::AlternateMode::kOverflow;
  TestServer server(config);
  auto next = config;
  next.log_min_level = "error";
  next.alternate_servers = {server.address(), addr("192.0.2.1:3478")};
  server.server().set_config_loader([&next] { return next; });
  REQUIRE(server.server().reload());

  TurnClient a(server.address());
  REQUIRE(a.allocate().is_success());  // overflow mode, room: served here
  server.server().drain();
  TurnClient b(server.address(), "bob", "bob-pass");
  // Twice: the round robin passes over this node's own entry each time.
  CHECK(alternate_of(b, b.allocate()) == addr("192.0.2.1:3478"));
  CHECK(alternate_of(b, b.allocate()) == addr("192.0.2.1:3478"));
  CHECK(a.refresh(600).is_success());

  TestServer plain;
  TurnClient c(plain.address());
  REQUIRE(c.allocate().is_success());
  plain.server().drain();
  TurnClient d(plain.address(), "bob", "bob-pass");
  CHECK(d.allocate().error_code() == 508);
}

TEST_CASE("alternate: a coturn-mode node in its own list redirects while draining") {
  TestServer server;
  auto next = test_config();
  next.log_min_level = "error";
  next.alternate_servers = {server.address(), addr("192.0.2.1:3478")};
  server.server().set_config_loader([&next] { return next; });
  REQUIRE(server.server().reload());
  TurnClient a(server.address());
  REQUIRE(a.allocate().is_success());  // listed itself: served here
  server.server().drain();
  TurnClient b(server.address(), "bob", "bob-pass");
  CHECK(alternate_of(b, b.allocate()) == addr("192.0.2.1:3478"));
}

TEST_CASE("alternate (unit): the round robin skips other families and this node's addresses") {
  const std::vector<stun::SocketAddress> list = {addr("192.0.2.1:3478"), addr("[2001:db8::1]:3478"),
                                                 addr("127.0.0.1:3478"), addr("192.0.2.2:3478")};
  const std::vector<stun::SocketAddress> own = {addr("127.0.0.1:3478")};
  std::atomic<std::uint64_t> counter{0};
  std::vector<stun::SocketAddress> picked;
  for (int i = 0; i < 4; ++i)
    picked.push_back(*turn::next_alternate(list, stun::kFamilyIpv4, own, counter));
  CHECK(picked == std::vector<stun::SocketAddress>{addr("192.0.2.1:3478"), addr("192.0.2.2:3478"),
                                                   addr("192.0.2.1:3478"), addr("192.0.2.2:3478")});
  CHECK(*turn::next_alternate(list, stun::kFamilyIpv6, own, counter) == addr("[2001:db8::1]:3478"));
  // Only ourselves of that family: nobody to send the client to.
  CHECK_FALSE(turn::next_alternate({addr("127.0.0.1:3478")}, stun::kFamilyIpv4, own, counter));
  CHECK_FALSE(turn::next_alternate({}, stun::kFamilyIpv4, own, counter));
}

TEST_CASE("alternate (unit): each transport's list, falling back to alternate-server") {
  turn::Config c;
  c.alternate_servers = {addr("192.0.2.1:3478")};
  c.tls_alternate_servers = {addr("192.0.2.2:5349")};
  c.tcp_alternate_servers = {addr("192.0.2.3:3478")};
  using T = turn::ClientTransport;
  CHECK(turn::alternates_for(c, T::kUdp) == c.alternate_servers);
  CHECK(turn::alternates_for(c, T::kTcp) == c.tcp_alternate_servers);
  CHECK(turn::alternates_for(c, T::kTls) == c.tls_alternate_servers);
  CHECK(turn::alternates_for(c, T::kDtls) == c.tls_alternate_servers);
  c.udp_alternate_servers = {addr("192.0.2.4:3478")};
  CHECK(turn::alternates_for(c, T::kUdp) == c.udp_alternate_servers);
}
