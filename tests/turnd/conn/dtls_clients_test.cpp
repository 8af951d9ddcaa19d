// TURN over DTLS (RFC 8656 §3.1) on the UDP listener: a real DTLS 1.2 client, the stateless
// cookie round before any session, relaying both ways, and plain UDP on the same socket.
#include <doctest/doctest.h>

#include "support/printers.hpp"
#include "support/test_cert.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

turn::Config dtls_config(const TestPki& pki) {
  turn::Config c = test_config();
  c.cert = pki.write_bundle();
  c.dtls = true;
  return c;
}

}  // namespace

TEST_CASE("dtls: allocate and relay ChannelData both ways over DTLS on the UDP listener") {
  TestPki pki;
  TestServer server(dtls_config(pki));
  TurnClient client(server.address(), "alice", "alice-pass", Transport::kDtls);
  CHECK(client.tls_version() == "DTLSv1.2");
  REQUIRE(client.allocate().is_success());
  UdpSocket peer;
  REQUIRE(client.channel_bind(0x4001, peer.local()).is_success());
  for (std::size_t size : {1u, 5u, 200u, 1200u}) {
    CAPTURE(size);
    const auto payload = payload_of(size, static_cast<std::uint8_t>(size));
    client.send_channel_data(0x4001, payload);
    auto at_peer = peer.receive();
    REQUIRE(at_peer);
    CHECK(at_peer->data == payload);
    CHECK(at_peer->from == client.relay());
    peer.send_to(client.relay(), payload);
    auto back = client.receive_relayed();
    REQUIRE(back);
    CHECK(back->channel);
    CHECK(back->number == 0x4001);
    CHECK(back->data == payload);
  }
  // One session, made only after the cookie round trip the client went through.
  CHECK(server.totals().dtls_sessions == 1);
  CHECK(server.totals().active_connections == 1);
}

TEST_CASE("dtls: plain STUN keeps working on the same UDP socket") {
  TestPki pki;
  TestServer server(dtls_config(pki));
  TurnClient secure(server.address(), "alice", "alice-pass", Transport::kDtls);
  TurnClient plain(server.address());
  CHECK(plain.allocate().is_success());
  CHECK(secure.allocate().is_success());
  CHECK(server.totals().active_allocations == 2);
}

TEST_CASE("dtls: without `dtls` a DTLS ClientHello gets no answer and no session") {
  TestPki pki;
  turn::Config c = dtls_config(pki);
  c.dtls = false;
  TestServer server(std::move(c));
  CHECK_THROWS(TurnClient(server.address(), "alice", "alice-pass", Transport::kDtls));
  CHECK(server.totals().dtls_sessions == 0);
  CHECK(server.totals().active_connections == 0);
}

TEST_CASE("dtls: close_notify from the client ends the session and its allocation") {
  TestPki pki;
  TestServer server(dtls_config(pki));
  {
    TurnClient client(server.address(), "alice", "alice-pass", Transport::kDtls);
    REQUIRE(client.allocate().is_success());
    CHECK(server.totals().active_allocations == 1);
    client.connection()->close_write();
  }
  CHECK(server.wait_for([](const turn::ServerTotals& t) {
    return t.active_allocations == 0 && t.active_connections == 0;
  }));
}
