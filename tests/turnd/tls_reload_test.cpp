// Certificate reload (SIGUSR2, Server::reload_tls): new TLS connections get the certificate now in
// the file, connections already open keep theirs and keep working, and a broken file leaves the
// running certificate in place.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_cert.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

std::string bundle_of(const TestPki& pki) {
  return pki.server_cert_pem + pki.server_key_pem + pki.intermediate_pem;
}

/// The certificate a new TLS connection to `server` is shown is `pki`'s, and the connection
/// works (one Binding).
bool new_connection_sees(TestServer& server, const TestPki& pki) {
  auto c = stream_client(server, Transport::kTls);
  const bool same = peer_certificate_is(c->connection()->ssl(), pki.server_cert_pem);
  const stun::TransactionId tid = random_tid();
  auto r = c->exchange(binding_request(tid), tid);
  return same && r && r->is_success();
}

/// A TLS client that trusts only `pki`'s root and checks the host name: its handshake succeeds
/// only when the server presents `pki`'s chain.
TurnClientOptions trusting(const TestPki& pki) {
  TurnClientOptions o;
  o.transport = Transport::kTls;
  o.tls.ca_file = pki.write_ca();
  o.tls.hostname = kServerName;
  return o;
}

/// Allocation, channel and one ChannelData round trip on an existing client.
void check_relays(TurnClient& c, std::uint16_t channel) {
  UdpSocket peer;
  REQUIRE(c.channel_bind(channel, peer.local()).is_success());
  const auto out = payload_of(50, 1);
  c.send_channel_data(channel, out);
  auto at_peer = peer.receive();
  REQUIRE(at_peer);
  CHECK(at_peer->data == out);
  peer.send_to(c.relay(), payload_of(60, 2));
  auto back = c.receive_relayed();
  REQUIRE(back);
  CHECK(back->data == payload_of(60, 2));
}

}  // namespace

TEST_CASE("tls reload: reload_tls gives new connections the new certificate, old ones stay") {
  TestPki a;
  TestPki b;
  REQUIRE(a.server_cert_pem != b.server_cert_pem);
  auto config = test_config();
  config.cert = a.write_bundle();
  TestServer server(config);

  auto first = stream_client(server, Transport::kTls);
  REQUIRE(first->allocate().is_success());
  CHECK(peer_certificate_is(first->connection()->ssl(), a.server_cert_pem));
  CHECK_FALSE(peer_certificate_is(first->connection()->ssl(), b.server_cert_pem));
  CHECK_THROWS_AS(TurnClient(stream_listener(server), "alice", "alice-pass", trusting(b)),
                  std::runtime_error);

  a.write("bundle.pem", bundle_of(b));  // same path, new certificate
  CHECK(server.server().reload_tls());
  // The workers take the new context on their next loop iteration.
  CHECK(eventually([&] { return new_connection_sees(server, b); }));
  TurnClient second(stream_listener(server), "alice", "alice-pass", trusting(b));
  CHECK(peer_certificate_is(second.connection()->ssl(), b.server_cert_pem));
  REQUIRE(second.allocate().is_success());
  check_relays(second, 0x4001);

  // The connection made before the reload is untouched: same session, allocation intact.
  CHECK(first->connected());
  CHECK(peer_certificate_is(first->connection()->ssl(), a.server_cert_pem));
  CHECK(first->refresh(600).is_success());
  check_relays(*first, 0x4000);
  CHECK(server.totals().active_allocations == 2);
  // One failed handshake: the client trusting only b, before the reload.
  CHECK(server.totals().tls_failures == 1);
}

TEST_CASE("tls reload: SIGUSR2 reloads the certificate for new connections") {
  TestPki a;
  TestPki b;
  auto config = test_config();
  config.cert = a.write_bundle();
  TestServer server(config);
  auto first = stream_client(server, Transport::kTls);
  REQUIRE(first->allocate().is_success());
  REQUIRE(new_connection_sees(server, a));

  a.write("bundle.pem", bundle_of(b));
  // The server's control loop has a libuv handler for SIGUSR2 while it runs.
  REQUIRE(::kill(::getpid(), SIGUSR2) == 0);
  CHECK(eventually([&] { return new_connection_sees(server, b); }));
  CHECK(first->refresh(600).is_success());
  CHECK(peer_certificate_is(first->connection()->ssl(), a.server_cert_pem));
}

TEST_CASE("tls reload: a broken certificate file is refused and the running one stays") {
  TestPki a;
  TestPki b;
  auto config = test_config();
  config.cert = a.write_bundle();
  TestServer server(config);
  auto first = stream_client(server, Transport::kTls);
  REQUIRE(first->allocate().is_success());

  SUBCASE("garbage") {
    a.write("bundle.pem", "this is not a PEM file\n");
  }
  SUBCASE("a certificate without its key") {
    a.write("bundle.pem", b.server_cert_pem + b.intermediate_pem);
  }
  SUBCASE("b's certificate with another key") {
    a.write("bundle.pem", b.server_cert_pem + b.other_key_pem + b.intermediate_pem);
  }
  CHECK_FALSE(server.server().reload_tls());
  for (int i = 0; i < 3; ++i)
    CHECK(new_connection_sees(server, a));
  CHECK(first->refresh(600).is_success());
  TurnClient still_a(stream_listener(server), "alice", "alice-pass", trusting(a));
  CHECK(still_a.allocate().is_success());

  // Fixing the file and reloading again works.
  a.write("bundle.pem", bundle_of(b));
  CHECK(server.server().reload_tls());
  CHECK(eventually([&] { return new_connection_sees(server, b); }));
  CHECK(first->refresh(600).is_success());
}

TEST_CASE("tls reload: without a certificate there is nothing to reload") {
  TestServer server;
  CHECK_FALSE(server.server().reload_tls());
  TurnClient c(server.address());
  CHECK(c.allocate().is_success());
}

TEST_CASE("tls reload: SIGHUP's reload also loads a renewed certificate") {
  TestPki a;
  TestPki b;
  auto config = test_config();
  config.cert = a.write_bundle();
  TestServer server(config);
  server.server().set_config_loader([config] { return config; });
  CHECK(new_connection_sees(server, a));
  a.write("bundle.pem", bundle_of(b));
  REQUIRE(server.server().reload());
  CHECK(eventually([&] { return new_connection_sees(server, b); }));
}
