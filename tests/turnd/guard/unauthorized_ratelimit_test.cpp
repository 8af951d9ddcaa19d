// unauthorized-ratelimit (coturn 4.14's semantics, on by default in turnd) and
// request-ratelimit-rps over real sockets, and the size of the 401 every unauthenticated
// request gets: a forged source can make turnd answer it only so often, and only so big.
#include <doctest/doctest.h>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

stun::SocketAddress source(std::uint8_t last) {
  return stun::SocketAddress::v4({127, 0, 0, last}, 0);
}

/// An unauthenticated request of `method` with `attrs`.
std::vector<std::uint8_t> plain_request(stun::Method method, const AttrFn& attrs = {}) {
  std::vector<std::uint8_t> buf(512);
  stun::MessageBuilder b(buf, stun::pack_type(method, stun::Class::kRequest), random_tid());
  if (attrs)
    attrs(b);
  auto out = b.finish();
  REQUIRE(out);
  return {out->begin(), out->end()};
}

void requested_udp(stun::MessageBuilder& b) {
  b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
}

/// Sends `n` requests back to back from `from`, then counts the answers (error code `code`).
int answered(const UdpSocket& from, const stun::SocketAddress& to,
             const std::vector<std::uint8_t>& request, int n, int code) {
  for (int i = 0; i < n; ++i)
    from.send_to(to, request);
  int got = 0;
  while (auto d = from.receive(kSilenceTimeout)) {
    if (Message(d->data).error_code() == code)
      ++got;
  }
  return got;
}

/// test_config() with the defaults every deployment gets for the per-source budgets.
turn::Config default_budgets() {
  auto c = test_config();
  const turn::Config defaults;
  c.unauthorized_ratelimit = defaults.unauthorized_ratelimit;
  c.unauthorized_ratelimit_rps = defaults.unauthorized_ratelimit_rps;
  c.request_ratelimit_rps = defaults.request_ratelimit_rps;
  return c;
}

}  // namespace

TEST_CASE("unauthorized-ratelimit: by default, 10 unsigned error answers a second per source") {
  TestServer server(default_budgets());
  UdpSocket spoofed(source(2));
  const auto allocate = plain_request(stun::Method::kAllocate, requested_udp);
  // One burst: 10 answers in its second (20 if it happens to straddle two).
  const int got = answered(spoofed, server.address(), allocate, 40, 401);
  CHECK(got >= 10);
  CHECK(got <= 20);
  // The dropped requests have no answer to wait for: poll until the worker has decided on all
  // 40 (each is counted as a request, then as answered or dropped).
  CHECK(server.wait_for([](const turn::ServerTotals& t) {
    return t.unauthenticated_401_responses + t.unauthenticated_401_dropped == 40;
  }));
  auto t = server.totals();
  CHECK(t.unauthenticated_401_requests == 40);
  CHECK(t.unauthenticated_401_responses == static_cast<std::uint64_t>(got));
  CHECK(t.unauthenticated_401_dropped == static_cast<std::uint64_t>(40 - got));
  // Another source has its own budget; a TCP client (its source is proven) has none.
  UdpSocket other(source(3));
  CHECK(answered(other, server.address(), allocate, 5, 401) == 5);
  auto tcp = stream_client(server, Transport::kTcp);
  for (int i = 0; i < 30; ++i) {
    const stun::TransactionId tid = random_tid();
    auto r = tcp->exchange(tcp->build(stun::Method::kAllocate, requested_udp, no_auth(), tid), tid);
    REQUIRE(r);
    CHECK(r->error_code() == 401);
  }
  // Other unsigned errors draw on the same budget: 400 for an unknown method, 420 for a
  // Binding with an unknown comprehension-required attribute.
  UdpSocket third(source(4));
  const auto unknown_method = plain_request(static_cast<stun::Method>(0x0ff));
  const int bad = answered(third, server.address(), unknown_method, 30, 400);
  CHECK(bad >= 10);
  CHECK(bad <= 20);
  CHECK(server.wait_for([bad](const turn::ServerTotals& now) {
    return now.unauthenticated_errors_dropped == static_cast<std::uint64_t>(30 - bad);
  }));
  // Binding successes are not errors: never limited.
  UdpSocket stun_client(source(5));
  const auto binding = plain_request(stun::Method::kBinding);
  for (int i = 0; i < 30; ++i)
    stun_client.send_to(server.address(), binding);
  int bindings = 0;
  while (stun_client.receive(kSilenceTimeout))
    ++bindings;
  CHECK(bindings == 30);
}

TEST_CASE("unauthorized-ratelimit: a source that sent back our nonce is not limited (a NAT)") {
  TestServer server(default_budgets());
  // One client behind the NAT logs in: it answered our 401 from this address.
  TurnClientOptions o;
  o.local = source(2);
  TurnClient first(server.address(), "alice", "alice-pass", o);
  REQUIRE(first.allocate().is_success());
  // Many more clients behind the same address start at once: every one gets its 401.
  UdpSocket others(source(2));
  const auto allocate = plain_request(stun::Method::kAllocate, requested_udp);
  CHECK(answered(others, server.address(), allocate, 40, 401) == 40);
  CHECK(server.totals().unauthenticated_401_dropped == 0);
}

TEST_CASE("unauthorized-ratelimit: signed answers to an authenticated client are not limited") {
  TestServer server(default_budgets());
  TurnClient c(server.address(), "alice", "alice-pass");
  REQUIRE(c.allocate().is_success());
  for (int i = 0; i < 30; ++i) {
    const Message r = c.create_permission({});  // no XOR-PEER-ADDRESS: 400, signed
    CHECK(r.error_code() == 400);
    CHECK(c.verify(r));
  }
}

TEST_CASE("unauthorized-ratelimit: off, and its rate, as configured") {
  auto config = default_budgets();
  config.unauthorized_ratelimit = false;
  TestServer off(config);
  UdpSocket a(source(2));
  const auto allocate = plain_request(stun::Method::kAllocate, requested_udp);
  CHECK(answered(a, off.address(), allocate, 40, 401) == 40);
  config.unauthorized_ratelimit = true;
  config.unauthorized_ratelimit_rps = 2;
  TestServer two(config);
  UdpSocket b(source(3));
  const int got = answered(b, two.address(), allocate, 20, 401);
  CHECK(got >= 2);
  CHECK(got <= 4);
}

TEST_CASE("401: the answer to a 20-byte request is as small as RFC 8489 allows") {
  auto config = test_config();
  config.realm = "turnd";  // the embedded default's realm
  TestServer server(config);
  UdpSocket c(source(2));
  const auto bare = plain_request(stun::Method::kAllocate);
  REQUIRE(bare.size() == 20);
  c.send_to(server.address(), bare);
  auto answer = c.receive();
  REQUIRE(answer);
  const Message m(answer->data);
  CHECK(m.error_code() == 401);
  // The header (20), ERROR-CODE with its reason phrase (20), REALM "turnd" (12), a 28-character
  // NONCE (32) and PASSWORD-ALGORITHMS (12, RFC 8489 §9.2.1): 96 bytes. turnd's nonce used to
  // be 45 characters (116 bytes); coturn 4.6.1 also sends 96 (SOFTWARE, no PASSWORD-ALGORITHMS).
  CHECK(answer->data.size() == 96);
  CHECK(m.has(stun::AttrType::kRealm));
  CHECK(m.has(stun::AttrType::kNonce));
  CHECK(m.has(stun::AttrType::kPasswordAlgorithms));
  CHECK_FALSE(m.has(stun::AttrType::kSoftware));
}

TEST_CASE("request-ratelimit-rps: a source's TURN requests beyond the rate are dropped unread") {
  auto config = default_budgets();
  config.request_ratelimit_rps = 5;
  config.unauthorized_ratelimit = false;  // count answers of the request cap alone
  TestServer server(config);
  UdpSocket flood(source(2));
  const auto allocate = plain_request(stun::Method::kAllocate, requested_udp);
  const int got = answered(flood, server.address(), allocate, 30, 401);
  CHECK(got >= 5);
  CHECK(got <= 10);
  // Dropped unread, so no answer to wait for: the worker's count is polled.
  CHECK(server.wait_for([got](const turn::ServerTotals& t) {
    return t.rate_limited_requests == static_cast<std::uint64_t>(30 - got);
  }));
  // STUN Binding is not a TURN request: a conferencing node's keepalives are never capped.
  UdpSocket node(source(3));
  const auto binding = plain_request(stun::Method::kBinding);
  for (int i = 0; i < 30; ++i)
    node.send_to(server.address(), binding);
  int bindings = 0;
  while (node.receive(kSilenceTimeout))
    ++bindings;
  CHECK(bindings == 30);
  // Other sources keep their budget.
  TurnClient other(server.address(), "alice", "alice-pass", [] {
    TurnClientOptions o;
    o.local = source(4);
    return o;
  }());
  CHECK(other.allocate().is_success());
}
