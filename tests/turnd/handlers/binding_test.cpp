// STUN Binding over the wire (RFC 8489 §6.3, RFC 3489 §11.2.1), and what the dispatcher does
// with datagrams that are not STUN at all.
#include <doctest/doctest.h>

#include <cstring>

#include "support/printers.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

Message binding(TurnClient& c, RequestOptions opt = no_auth(), const AttrFn& attrs = {}) {
  return c.request(stun::Method::kBinding, attrs, opt);
}

}  // namespace

TEST_CASE("binding: XOR-MAPPED-ADDRESS is the client's address, no SOFTWARE or FINGERPRINT") {
  TestServer server;
  auto c = server.client();
  const Message r = binding(*c);
  REQUIRE(r.is_success());
  CHECK(r.method() == stun::Method::kBinding);
  auto v = r.view();
  auto mapped = v.get(stun::attr::kXorMappedAddress);
  REQUIRE(mapped);
  CHECK(*mapped == c->local());
  CHECK_FALSE(v.has(stun::AttrType::kMappedAddress));
  // coturn 4.7+ default: no SOFTWARE unless configured.
  CHECK_FALSE(v.has(stun::AttrType::kSoftware));
  CHECK_FALSE(v.has(stun::AttrType::kFingerprint));
  CHECK_FALSE(v.has(stun::AttrType::kMessageIntegrity));
  CHECK(server.totals().stun_binding_requests == 1);
}

TEST_CASE("binding: each client sees its own reflexive address") {
  TestServer server;
  auto a = server.client();
  auto b = server.client();
  const Message ra = binding(*a);
  const Message rb = binding(*b);
  REQUIRE(ra.is_success());
  REQUIRE(rb.is_success());
  CHECK(*ra.view().get(stun::attr::kXorMappedAddress) == a->local());
  CHECK(*rb.view().get(stun::attr::kXorMappedAddress) == b->local());
  CHECK(a->local() != b->local());
}

namespace {

/// A classic RFC 3489 Binding request: no magic cookie, a 128-bit transaction id.
constexpr std::uint8_t kClassicTid[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2,  3,  4,
                                          5,    6,    7,    8,    9, 10, 11, 12};

void send_classic_binding(const UdpSocket& sock, const stun::SocketAddress& to) {
  std::uint8_t request[20] = {0x00, 0x01, 0x00, 0x00};
  std::memcpy(request + 4, kClassicTid, 16);
  sock.send_to(to, stun::Bytes(request, sizeof(request)));
}

}  // namespace

TEST_CASE("binding: classic RFC 3489 requests get no answer by default (coturn 4.7+)") {
  TestServer server;
  UdpSocket sock;
  send_classic_binding(sock, server.address());
  CHECK_FALSE(sock.receive(kSilenceTimeout));
  CHECK(server.totals().stun_binding_requests == 0);
}

TEST_CASE("binding: secure-stun asks for credentials and signs the answer") {
  auto config = test_config();
  config.secure_stun = true;
  TestServer server(config);
  TurnClient c(server.address());
  const Message anonymous = c.request(stun::Method::kBinding, {}, no_auth());
  CHECK(anonymous.error_code() == 401);
  const Message signed_in = c.request(stun::Method::kBinding);
  REQUIRE(signed_in.is_success());
  CHECK(c.verify(signed_in));
  CHECK(*signed_in.view().get(stun::attr::kXorMappedAddress) == c.local());
}

TEST_CASE(
    "binding: with stun-backward-compatibility a classic request gets MAPPED-ADDRESS and its "
    "128-bit id echoed") {
  auto config = test_config();
  config.stun_backward_compatibility = true;
  TestServer server(config);
  UdpSocket sock;
  const std::uint8_t* tid = kClassicTid;
  send_classic_binding(sock, server.address());
  auto d = sock.receive();
  REQUIRE(d);
  REQUIRE(d->data.size() >= 20);
  CHECK(d->data[0] == 0x01);  // Binding success response 0x0101
  CHECK(d->data[1] == 0x01);
  CHECK(std::memcmp(d->data.data() + 4, tid, 16) == 0);
  Message r(d->data);
  auto v = r.view();
  CHECK(v.is_classic());
  auto mapped = v.get(stun::attr::kMappedAddress);
  REQUIRE(mapped);
  CHECK(*mapped == sock.local());
  CHECK_FALSE(v.has(stun::AttrType::kXorMappedAddress));
}

TEST_CASE("binding: SOFTWARE only when software_attribute is set") {
  auto config = test_config();
  config.software_attribute = true;
  config.software = "turnd-test/1.0";
  TestServer server(config);
  auto c = server.client();
  const Message r = binding(*c);
  REQUIRE(r.is_success());
  auto software = r.view().get(stun::attr::kSoftware);
  REQUIRE(software);
  CHECK(*software == "turnd-test/1.0");
}

TEST_CASE("binding: FINGERPRINT answers a FINGERPRINT, or always with fingerprint set") {
  SUBCASE("default configuration") {
    TestServer server;
    auto c = server.client();
    RequestOptions with_fp = no_auth();
    with_fp.fingerprint = true;
    const Message signed_fp = binding(*c, with_fp);
    REQUIRE(signed_fp.is_success());
    CHECK(signed_fp.has(stun::AttrType::kFingerprint));
    CHECK(stun::verify_fingerprint(signed_fp.view()));
    const Message plain = binding(*c);
    REQUIRE(plain.is_success());
    CHECK_FALSE(plain.has(stun::AttrType::kFingerprint));
  }
  SUBCASE("fingerprint configured") {
    auto config = test_config();
    config.fingerprint = true;
    TestServer server(config);
    auto c = server.client();
    const Message plain = binding(*c);
    REQUIRE(plain.is_success());
    CHECK(plain.has(stun::AttrType::kFingerprint));
    CHECK(stun::verify_fingerprint(plain.view()));
  }
}

TEST_CASE("binding: a wrong FINGERPRINT makes the datagram 'not STUN': dropped, no answer") {
  TestServer server;
  TurnClient c(server.address());
  RequestOptions with_fp = no_auth();
  with_fp.fingerprint = true;
  const auto tid = random_tid();
  auto bytes = c.build(stun::Method::kBinding, {}, with_fp, tid);
  bytes.back() ^= 0x01;
  CHECK_FALSE(c.exchange(bytes, tid, kSilenceTimeout));
  // A drop has no answer to wait for: the worker's count is polled.
  CHECK(server.wait_for([](const turn::ServerTotals& t) { return t.malformed_packets == 1; }));
  CHECK(server.totals().stun_binding_requests == 0);
}

TEST_CASE("binding: an unknown comprehension-required attribute gets 420 listing it") {
  TestServer server;
  auto c = server.client();
  const Message r = binding(*c, no_auth(), [](stun::MessageBuilder& b) {
    const std::uint8_t value[4] = {1, 2, 3, 4};
    b.add_raw(0x7FAA, stun::Bytes(value, 4));  // unknown, comprehension-required
    b.add_raw(0xC0DE, stun::Bytes(value, 3));  // unknown, comprehension-optional: ignored
  });
  REQUIRE(r.cls() == stun::Class::kError);
  CHECK(r.error_code() == 420);
  auto unknown = r.view().get(stun::attr::kUnknownAttributes);
  REQUIRE(unknown);
  REQUIRE(unknown->size() == 1);
  CHECK((*unknown)[0] == 0x7FAA);
  CHECK(server.totals().stun_binding_errors == 1);
}

TEST_CASE("binding: an unknown optional attribute alone is ignored") {
  TestServer server;
  auto c = server.client();
  const Message r = binding(*c, no_auth(), [](stun::MessageBuilder& b) {
    const std::uint8_t value[2] = {9, 9};
    b.add_raw(0xC0DE, stun::Bytes(value, 2));
  });
  CHECK(r.is_success());
}

TEST_CASE("dispatcher: garbage and malformed datagrams are dropped silently and counted") {
  TestServer server;
  UdpSocket sock;
  auto send = [&](std::vector<std::uint8_t> bytes) { sock.send_to(server.address(), bytes); };

  // First byte 0xFF: neither STUN nor ChannelData (RFC 7983).
  send(std::vector<std::uint8_t>(40, 0xFF));
  // First byte 0x80: RTP range, not for a TURN listener.
  send({0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0});
  // STUN-looking but shorter than a header.
  send({0x00, 0x01, 0x00, 0x00, 0x21, 0x12});
  // STUN header whose length is not a multiple of 4.
  std::vector<std::uint8_t> odd(24, 0);
  odd[1] = 0x01;
  odd[3] = 0x03;
  odd[4] = 0x21, odd[5] = 0x12, odd[6] = 0xA4, odd[7] = 0x42;
  send(odd);
  // STUN header whose length runs past the datagram.
  std::vector<std::uint8_t> overrun(20, 0);
  overrun[1] = 0x01;
  overrun[3] = 0x40;
  overrun[4] = 0x21, overrun[5] = 0x12, overrun[6] = 0xA4, overrun[7] = 0x42;
  send(overrun);
  // A Binding *response*: servers never get those.
  std::vector<std::uint8_t> response(20, 0);
  response[0] = 0x01, response[1] = 0x01;
  response[4] = 0x21, response[5] = 0x12, response[6] = 0xA4, response[7] = 0x42;
  send(response);
  // An empty datagram.
  send({});

  CHECK_FALSE(sock.receive(kSilenceTimeout));
  CHECK(server.wait_for([](const turn::ServerTotals& t) {
    return t.unknown_packets == 2 && t.malformed_packets == 5;
  }));
  CHECK(server.totals().error_responses == 0);

  // The server still answers afterwards.
  TurnClient c(server.address());
  const Message r = binding(c);
  REQUIRE(r.is_success());
  CHECK(*r.view().get(stun::attr::kXorMappedAddress) == c.local());
}

TEST_CASE("dispatcher: a TURN request with an unknown method gets 400") {
  TestServer server;
  TurnClient c(server.address());
  // Method 0x0FF is not a STUN/TURN method.
  const auto tid = random_tid();
  std::vector<std::uint8_t> buf(64);
  stun::MessageBuilder b(
      buf, stun::pack_type(static_cast<stun::Method>(0x0FF), stun::Class::kRequest), tid);
  auto bytes = b.finish();
  REQUIRE(bytes);
  auto r = c.exchange({bytes->begin(), bytes->end()}, tid);
  REQUIRE(r);
  CHECK(r->error_code() == 400);
}

TEST_CASE("dispatcher: Binding indications (keepalives) get no answer") {
  TestServer server;
  UdpSocket sock;
  std::vector<std::uint8_t> buf(64);
  stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kBinding, stun::Class::kIndication),
                         random_tid());
  auto bytes = b.finish();
  REQUIRE(bytes);
  sock.send_to(server.address(), *bytes);
  CHECK_FALSE(sock.receive(kSilenceTimeout));
  CHECK(server.totals().malformed_packets == 0);
}
