// coturn's CVE classes as tests over real sockets (issue 12, "Proof"): peers that reach the
// host by another spelling (0.0.0.0, ::, IPv4-mapped and -compatible loopback, NAT64 and 6to4
// wrappings of loopback and metadata addresses) on every path, RFC 6062 Connect included
// (CVE-2026-73212 was that path); a STUN length that a 16-bit sum would truncate over TCP
// (CVE-2026-68552); DTLS ClientHellos that must leave no state before the cookie
// (CVE-2026-73214); and error answers whose every byte is fixed, no buffer residue
// (CVE-2020-4067, CVE-2026-104074).
#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <set>
#include <string>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/tcp_echo_peer.hpp"
#include "support/test_cert.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

/// Peers that all mean this host, its loopback or the cloud metadata service.
const char* const kIpv4Forms[] = {"0.0.0.0",     "0.1.2.3",        "::ffff:127.0.0.1",
                                  "::127.0.0.1", "::ffff:0.0.0.0", "::ffff:169.254.169.254",
                                  "127.0.0.1"};
const char* const kIpv6Forms[] = {"::",
                                  "::1",
                                  "64:ff9b::7f00:1",     // NAT64 of 127.0.0.1
                                  "64:ff9b::a9fe:a9fe",  // NAT64 of 169.254.169.254
                                  "64:ff9b:1::7f00:1",   // local-use NAT64
                                  "2002:7f00:1::1",      // 6to4 of 127.0.0.1
                                  "2002:a9fe:a9fe::1",   // 6to4 of 169.254.169.254
                                  "2001:0:4136:e378:8000:63bf:80ff:fffe"};  // Teredo

turn::Config strict_dual_stack() {
  auto c = dual_stack_config();
  c.allow_loopback_peers = false;
  return c;
}

AttrFn family(std::uint8_t f) {
  return [f](stun::MessageBuilder& b) { b.add(stun::attr::kRequestedAddressFamily, f); };
}

}  // namespace

TEST_CASE("cve classes: host and metadata address forms are refused on every UDP path") {
  TestServer server(strict_dual_stack());
  TurnClient v4(udp_listener(server, stun::kFamilyIpv4));
  TurnClient v6(udp_listener(server, stun::kFamilyIpv6));
  REQUIRE(v4.allocate().is_success());
  REQUIRE(v6.allocate(family(stun::kFamilyIpv6)).is_success());
  UdpSocket witness;  // a loopback socket any of these would reach if relayed to
  std::uint16_t channel = 0x4000;
  auto refuse_all = [&](TurnClient& c, const char* const* forms, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto peer = address(forms[i], witness.local().port);
      CAPTURE(peer);
      CHECK(c.create_permission({peer}).error_code() == 403);
      CHECK(c.channel_bind(channel++, peer).error_code() == 403);
      // Send needs a permission, which none of them can get: dropped, not relayed.
      c.send_indication(peer, payload_of(20, 1));
    }
  };
  refuse_all(v4, kIpv4Forms, std::size(kIpv4Forms));
  refuse_all(v6, kIpv6Forms, std::size(kIpv6Forms));
  CHECK_FALSE(witness.receive(kSilenceTimeout));
  const auto t = server.totals();
  CHECK(t.peer_denied == 2 * (std::size(kIpv4Forms) + std::size(kIpv6Forms)));
  CHECK(t.no_permission_packets == std::size(kIpv4Forms) + std::size(kIpv6Forms));
}

TEST_CASE("cve classes: the same forms are refused by RFC 6062 Connect (CVE-2026-73212)") {
  TestServer server(strict_dual_stack());
  TcpEchoPeer witness;
  auto v4 = stream_client(server, Transport::kTcp);
  auto v6 = stream_client(server, Transport::kTcp, "alice", "alice-pass", stun::kFamilyIpv6);
  REQUIRE(v4->allocate_tcp().is_success());
  REQUIRE(v6->allocate_tcp(family(stun::kFamilyIpv6)).is_success());
  for (const char* form : kIpv4Forms) {
    CAPTURE(form);
    CHECK(v4->connect_peer(address(form, witness.address().port)).error_code() == 403);
  }
  for (const char* form : kIpv6Forms) {
    CAPTURE(form);
    CHECK(v6->connect_peer(address(form, witness.address().port)).error_code() == 403);
  }
  CHECK(witness.accepted() == 0);
}

TEST_CASE(
    "cve classes: a STUN length a 16-bit sum would truncate keeps TCP framing (CVE-2026-68552)") {
  TestServer server;
  auto c = stream_client(server, Transport::kTcp);
  StreamConnection& s = *c->stream();
  // A Binding request claiming a 65532-byte body (20 + 65532 wraps to 16 in 16 bits), with a
  // complete Binding request right behind the header: that one is body, never a request.
  const stun::TransactionId outer = random_tid();
  const stun::TransactionId smuggled = random_tid();
  std::vector<std::uint8_t> header = binding_request(outer);
  stun::store_u16(header.data() + 2, 0xFFFC);
  const auto inner = binding_request(smuggled);
  s.write(header);
  s.write(inner);
  CHECK_FALSE(s.next_frame(kSilenceTimeout));
  // The rest of the body. The message does not parse as STUN (its body starts with a STUN
  // header, not attributes), so it is dropped whole: the smuggled request is never answered.
  std::vector<std::uint8_t> rest(0xFFFC - inner.size(), 0);
  stun::store_u16(rest.data(), 0x8888);
  stun::store_u16(rest.data() + 2, static_cast<std::uint16_t>(rest.size() - 4));
  s.write(rest);
  while (auto frame = s.next_frame(kSilenceTimeout)) {
    const Message m(*frame);
    CHECK(m.view().transaction_id() != smuggled);
  }
  // The stream is still in step: the next request is answered.
  const stun::TransactionId next = random_tid();
  s.write(binding_request(next));
  auto answer = s.next_frame();
  REQUIRE(answer);
  CHECK(Message(*answer).view().transaction_id() == next);
}

TEST_CASE("cve classes: DTLS ClientHellos without a cookie leave no state (CVE-2026-73214)") {
  TestPki pki;
  auto config = test_config();
  config.cert = pki.write_bundle();
  config.dtls = true;
  TestServer server(config);
  // A real first flight from OpenSSL's DTLS client, written to memory.
  SSL_CTX* ctx = SSL_CTX_new(DTLS_client_method());
  REQUIRE(ctx != nullptr);
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(ssl, 1400);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  REQUIRE(n > 0);
  const std::vector<std::uint8_t> hello(data, data + n);
  SSL_free(ssl);
  SSL_CTX_free(ctx);

  // From 50 sources (ports): each gets a HelloVerifyRequest no bigger than its ClientHello.
  std::vector<std::unique_ptr<UdpSocket>> sources;
  for (int i = 0; i < 50; ++i) {
    sources.push_back(std::make_unique<UdpSocket>());
    sources.back()->send_to(server.address(), hello);
  }
  for (auto& s : sources) {
    auto answer = s->receive();
    REQUIRE(answer);
    CHECK(answer->data.size() <= hello.size());
    CHECK(answer->data[0] == 22);  // a handshake record: the HelloVerifyRequest
  }
  const auto t = server.totals();
  CHECK(t.dtls_sessions == 0);
  CHECK(t.active_connections == 0);
}

TEST_CASE("cve classes: error answers carry fixed reason phrases and zeroed padding only") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  const std::set<std::string> fixed = {"Bad Request",       "Unauthorized",
                                       "Unknown Attribute", "Allocation Mismatch",
                                       "Forbidden",         "Peer Address Family Mismatch",
                                       "Stale Nonce",       "Insufficient Capacity",
                                       "Wrong Credentials"};
  std::vector<Message> answers;
  // A long answer first (420 listing many unknown attributes) leaves bytes in the server's
  // transmit buffer; the shorter answers after it must not carry any of them.
  answers.push_back(c.request(stun::Method::kRefresh, [](stun::MessageBuilder& b) {
    for (std::uint16_t t = 0x0030; t < 0x0050; ++t)
      b.add_raw(t, stun::Bytes());
  }));
  answers.push_back(c.create_permission({}));
  answers.push_back(c.create_permission({address("10.0.0.1", 1)}));
  answers.push_back(c.create_permission({address("2a00::1", 1)}));
  answers.push_back(c.channel_bind(0x1000, address("8.8.8.8", 1)));
  answers.push_back(c.allocate());
  TurnClient stranger(server.address());
  answers.push_back(stranger.refresh(600));
  answers.push_back(stranger.request(stun::Method::kAllocate, {}, no_auth()));
  for (const Message& m : answers) {
    REQUIRE(m.cls() == stun::Class::kError);
    const auto v = m.view();
    CHECK(v.size() == m.bytes().size());
    auto code = v.get(stun::attr::kErrorCode);
    REQUIRE(code);
    CAPTURE(code->code);
    CHECK(fixed.count(std::string(code->reason)) == 1);
    // Every attribute's padding is zero.
    for (const auto& a : v.attributes()) {
      for (std::size_t i = a.offset + a.length; i < a.offset + stun::pad4(a.length); ++i)
        CHECK(m.bytes()[i] == 0);
    }
  }
}
