// RFC 6062 TCP allocations over real loopback sockets: Allocate with REQUESTED-TRANSPORT TCP,
// Connect (§4.3/§5.2), incoming peer connections and ConnectionAttempt (§5.3), ConnectionBind
// (§4.4/§5.4) and the splice of a data connection to its peer connection, teardown in both
// directions, and data connections accepted by another worker than the one owning the peer.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "stun/stun.hpp"
#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/tcp_echo_peer.hpp"
#include "support/test_cert.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

using Bytes = std::vector<std::uint8_t>;

std::uint32_t connection_id_of(const Message& m) {
  auto id = m.view().get(stun::attr::kConnectionId);
  return id ? *id : 0;
}

/// A server and a control connection holding a TCP allocation.
struct TcpRelay {
  TestServer server;
  std::unique_ptr<TurnClient> client;

  explicit TcpRelay(turn::Config config = test_config(), Transport t = Transport::kTcp)
      : server(std::move(config)), client(stream_client(server, t)) {
    const Message r = client->allocate_tcp();
    REQUIRE(r.is_success());
    REQUIRE(r.has(stun::AttrType::kXorRelayedAddress));
  }

  /// Connect to `peer` and bind a fresh data connection to it; REQUIREs both to succeed.
  std::unique_ptr<StreamConnection> connect_and_bind(const stun::SocketAddress& peer) {
    const Message connect = client->connect_peer(peer);
    REQUIRE(connect.is_success());
    const std::uint32_t id = connection_id_of(connect);
    REQUIRE(id != 0);
    auto data = client->open_data_connection();
    const Message bind = client->connection_bind(*data, id);
    REQUIRE(bind.is_success());
    return data;
  }
};

/// Writes `payload` on `data` and expects exactly it back (an echo peer on the other side).
bool echoes(StreamConnection& data, const Bytes& payload) {
  data.write(payload);
  auto back = data.read_exactly(payload.size(), 5000ms);
  return back && *back == payload;
}

}  // namespace

TEST_CASE("tcp relay: Allocate REQUESTED-TRANSPORT=TCP needs TCP/TLS, no EVEN-PORT, tcp relay on") {
  SUBCASE("over TCP: success with an XOR-RELAYED-ADDRESS that listens") {
    TestServer server;
    auto c = stream_client(server, Transport::kTcp);
    const Message r = c->allocate_tcp();
    REQUIRE(r.is_success());
    auto relayed = r.view().get(stun::attr::kXorRelayedAddress);
    REQUIRE(relayed);
    CHECK(relayed->same_ip(loopback()));
    CHECK(relayed->port >= 61000);
    CHECK(relayed->port <= 62999);
    CHECK(r.view().get(stun::attr::kLifetime).value_or(0) == 600);
    CHECK(c->verify(r));
    CHECK(server.totals().active_allocations == 1);
    // The relayed address accepts TCP connections (closed at once: no permission).
    auto probe = StreamConnection::connect(*relayed);
    CHECK(probe->closed_by_peer());
  }
  SUBCASE("over TLS: success") {
    TestPki pki;
    TestServer server(tls_config(pki));
    auto c = stream_client(server, Transport::kTls);
    CHECK(c->allocate_tcp().is_success());
  }
  SUBCASE("over UDP: 400") {
    TestServer server;
    TurnClient c(server.address());
    CHECK(c.allocate_tcp().error_code() == 400);
    CHECK(server.totals().active_allocations == 0);
  }
  SUBCASE("with no-tcp-relay: 442") {
    auto config = test_config();
    config.no_tcp_relay = true;
    TestServer server(config);
    auto c = stream_client(server, Transport::kTcp);
    CHECK(c->allocate_tcp().error_code() == 442);
    CHECK(c->allocate().is_success());  // UDP relays are still served over TCP
  }
  SUBCASE("with EVEN-PORT: 400") {
    TestServer server;
    auto c = stream_client(server, Transport::kTcp);
    CHECK(c->allocate_tcp([](stun::MessageBuilder& b) {
             b.add(stun::attr::kEvenPort, false);
           }).error_code() == 400);
    CHECK(server.totals().active_allocations == 0);
  }
}

TEST_CASE("tcp relay: Connect to a peer, ConnectionBind, and bytes echo back intact") {
  TestPki pki;
  Transport transport = Transport::kTcp;
  turn::Config config = test_config();
  SUBCASE("TCP") {}
  SUBCASE("TLS") {
    transport = Transport::kTls;
    config = tls_config(pki);
  }
  const std::string transport_text = transport_name(transport);
  CAPTURE(transport_text);
  TcpRelay r(config, transport);
  TcpEchoPeer echo;
  const Message connect = r.client->connect_peer(echo.address());
  REQUIRE(connect.is_success());
  CHECK(r.client->verify(connect));
  const std::uint32_t id = connection_id_of(connect);
  CHECK(id != 0);
  CHECK(eventually([&] { return echo.accepted() == 1; }));
  // §5.2: the server connects from the relayed transport address.
  REQUIRE(echo.remotes().size() == 1);
  CHECK(echo.remotes()[0] == r.client->relay());

  auto data = r.client->open_data_connection();
  const Message bind = r.client->connection_bind(*data, id);
  REQUIRE(bind.is_success());
  CHECK(r.client->verify(bind));
  for (std::size_t size : {std::size_t{1}, std::size_t{1000}, std::size_t{100'000}}) {
    CAPTURE(size);
    CHECK(echoes(*data, payload_of(size, static_cast<std::uint8_t>(size))));
  }
  CHECK(eventually([&] { return echo.bytes_echoed() == 1 + 1000 + 100'000; }));
  CHECK(r.server.wait_for([](const turn::ServerTotals& t) {
    return t.client_to_peer_bytes == 101'001 && t.peer_to_client_bytes == 101'001;
  }));

  // §5.2: one connection per peer address.
  CHECK(r.client->connect_peer(echo.address()).error_code() == 446);
  // §5.2: a refused connect is 447 (on loopback the refusal is immediate).
  TcpListenerPeer gone;
  const stun::SocketAddress closed_port = gone.address();
  gone.close();
  CHECK(r.client->connect_peer(closed_port).error_code() == 447);
  // The bound connection is unaffected.
  CHECK(echoes(*data, payload_of(77, 1)));
  CHECK(echo.accepted() == 1);
}

TEST_CASE("tcp relay: an incoming peer connection with a permission gets ConnectionAttempt") {
  TcpRelay r;
  REQUIRE(r.client->create_permission({loopback(50000)}).is_success());
  auto peer = StreamConnection::connect(r.client->relay());
  // Bytes the peer sends before the bind wait for it (§5.3).
  const Bytes early = payload_of(123, 5);
  peer->write(early);

  auto attempt =
      next_stun(*r.client->stream(), stun::Method::kConnectionAttempt, stun::Class::kIndication);
  REQUIRE(attempt);
  auto from = attempt->view().get(stun::attr::kXorPeerAddress);
  REQUIRE(from);
  CHECK(*from == peer->local());
  const std::uint32_t id = connection_id_of(*attempt);
  REQUIRE(id != 0);

  auto data = r.client->open_data_connection();
  REQUIRE(r.client->connection_bind(*data, id).is_success());
  auto got_early = data->read_exactly(early.size());
  REQUIRE(got_early);
  CHECK(*got_early == early);
  // Both ways.
  const Bytes up = payload_of(4000, 1);
  data->write(up);
  auto at_peer = peer->read_exactly(up.size());
  REQUIRE(at_peer);
  CHECK(*at_peer == up);
  const Bytes down = payload_of(70'000, 2);
  peer->write(down);
  auto at_client = data->read_exactly(down.size());
  REQUIRE(at_client);
  CHECK(*at_client == down);
  CHECK(r.server.totals().no_permission_packets == 0);
}

TEST_CASE("tcp relay: an incoming peer connection without a permission is closed at once") {
  TcpRelay r;
  auto peer = StreamConnection::connect(r.client->relay());
  peer->write(payload_of(10, 1));
  CHECK(peer->closed_by_peer());
  CHECK_FALSE(next_stun(*r.client->stream(), stun::Method::kConnectionAttempt,
                        stun::Class::kIndication, kSilenceTimeout));
  CHECK(r.server.totals().no_permission_packets == 1);
  // A permission for another IP does not help either.
  REQUIRE(r.client->create_permission({stun::SocketAddress::v4({127, 0, 0, 2}, 1)}).is_success());
  auto peer2 = StreamConnection::connect(r.client->relay());
  CHECK(peer2->closed_by_peer());
  CHECK(
      r.server.wait_for([](const turn::ServerTotals& t) { return t.no_permission_packets == 2; }));
  CHECK(r.server.totals().active_allocations == 1);
}

TEST_CASE("tcp relay: ConnectionBind with an unknown id, another user's id, or on the control") {
  TcpRelay r;
  TcpEchoPeer echo;
  const Message connect = r.client->connect_peer(echo.address());
  REQUIRE(connect.is_success());
  const std::uint32_t id = connection_id_of(connect);
  REQUIRE(id != 0);

  SUBCASE("unknown CONNECTION-ID: 400") {
    auto data = r.client->open_data_connection();
    CHECK(r.client->connection_bind(*data, id ^ 0x00ABCDEFu).error_code() == 400);
    // An id naming a worker that does not exist.
    auto data2 = r.client->open_data_connection();
    CHECK(r.client->connection_bind(*data2, 0x7F000001u).error_code() == 400);
  }
  SUBCASE("bob binding alice's connection: 400, and alice can still bind it") {
    auto bob = stream_client(r.server, Transport::kTcp, "bob", "bob-pass");
    auto stolen = bob->open_data_connection();
    const Message bob_bind = bob->connection_bind(*stolen, id);
    CHECK(bob_bind.error_code() == 400);
  }
  SUBCASE("on the control connection (it has an allocation): 400") {
    const Message m =
        r.client->request(stun::Method::kConnectionBind,
                          [&](stun::MessageBuilder& b) { b.add(stun::attr::kConnectionId, id); });
    CHECK(m.error_code() == 400);
  }
  // In every case the connection is still there for alice.
  auto data = r.client->open_data_connection();
  REQUIRE(r.client->connection_bind(*data, id).is_success());
  CHECK(echoes(*data, payload_of(300, 3)));
  CHECK(eventually([&] { return echo.bytes_echoed() == 300; }));  // counted after its send()
}

TEST_CASE("tcp relay: closing one side closes the other, after the last bytes") {
  TcpRelay r;
  TcpListenerPeer listener;
  const Message connect = r.client->connect_peer(listener.address());
  REQUIRE(connect.is_success());
  auto peer = listener.accept();
  REQUIRE(peer);
  auto data = r.client->open_data_connection();
  REQUIRE(r.client->connection_bind(*data, connection_id_of(connect)).is_success());

  SUBCASE("the peer closes: the data connection is closed by the server") {
    const Bytes last = payload_of(5000, 7);
    peer->write(last);
    peer.reset();
    auto got = data->read_exactly(last.size());
    REQUIRE(got);
    CHECK(*got == last);
    CHECK(data->closed_by_peer());
  }
  SUBCASE("the data connection closes: the peer sees EOF") {
    const Bytes last = payload_of(5000, 8);
    data->write(last);
    data.reset();
    auto got = peer->read_exactly(last.size());
    REQUIRE(got);
    CHECK(*got == last);
    CHECK(peer->closed_by_peer());
  }
  // Either way the allocation and its control connection stay, and the peer address can be
  // connected again.
  CHECK(r.client->refresh(600).is_success());
  CHECK(r.server.totals().active_allocations == 1);
  CHECK(eventually([&] { return r.client->connect_peer(listener.address()).is_success(); }));
  CHECK(listener.accept() != nullptr);
}

TEST_CASE("tcp relay: the allocation's end closes its peer and data connections") {
  TcpRelay r;
  TcpListenerPeer bound_listener;
  TcpListenerPeer pending_listener;
  const Message c1 = r.client->connect_peer(bound_listener.address());
  REQUIRE(c1.is_success());
  auto bound_peer = bound_listener.accept();
  REQUIRE(bound_peer);
  auto data = r.client->open_data_connection();
  REQUIRE(r.client->connection_bind(*data, connection_id_of(c1)).is_success());
  data->write(payload_of(10, 1));
  REQUIRE(bound_peer->read_exactly(10));
  // A second peer connection that is never bound.
  REQUIRE(r.client->connect_peer(pending_listener.address()).is_success());
  auto pending_peer = pending_listener.accept();
  REQUIRE(pending_peer);

  SUBCASE("Refresh LIFETIME 0") {
    const Message refresh = r.client->refresh(0);
    REQUIRE(refresh.is_success());
    CHECK(r.client->connected());  // the control connection itself stays
  }
  SUBCASE("the control connection closes") {
    r.client.reset();
  }
  CHECK(bound_peer->closed_by_peer());
  CHECK(pending_peer->closed_by_peer());
  CHECK(data->closed_by_peer());
  CHECK(r.server.wait_for([](const turn::ServerTotals& t) { return t.active_allocations == 0; }));
}

TEST_CASE("tcp relay: with two workers every data connection binds, whichever worker accepts it") {
  TestPki pki;
  auto config = tls_config(pki);
  config.relay_threads = 2;
  TestServer server(config);
  REQUIRE(server.server().worker_count() == 2);
  // Control connections for alice over TCP and bob over TLS; 10 data connections each, fresh
  // sockets, so SO_REUSEPORT spreads them over both workers and some must be handed over.
  std::vector<std::unique_ptr<TcpEchoPeer>> peers;
  std::vector<std::unique_ptr<StreamConnection>> data_connections;
  for (Transport t : {Transport::kTcp, Transport::kTls}) {
    const std::string transport_text = transport_name(t);
    CAPTURE(transport_text);
    const bool tls = t == Transport::kTls;
    auto control = stream_client(server, t, tls ? "bob" : "alice", tls ? "bob-pass" : "alice-pass");
    REQUIRE(control->allocate_tcp().is_success());
    for (int i = 0; i < 10; ++i) {
      CAPTURE(i);
      peers.push_back(std::make_unique<TcpEchoPeer>());
      const Message connect = control->connect_peer(peers.back()->address());
      REQUIRE(connect.is_success());
      const std::uint32_t id = connection_id_of(connect);
      auto data = control->open_data_connection();
      const Message bind = control->connection_bind(*data, id);
      REQUIRE(bind.is_success());
      CHECK(echoes(*data,
                   payload_of(1000 + static_cast<std::size_t>(i), static_cast<std::uint8_t>(i))));
      data_connections.push_back(std::move(data));
    }
    // All of them still carry bytes once the others are bound.
    for (std::size_t j = data_connections.size() - 10; j < data_connections.size(); ++j)
      CHECK(echoes(*data_connections[j], payload_of(64, static_cast<std::uint8_t>(j))));
  }
  CHECK(server.totals().tls_handshakes >= 11);
}

TEST_CASE("tcp relay: Connect to a peer the policy denies is 403, the wrong family 443") {
  TcpRelay r;
  // 10.0.0.0/8 is in the built-in denied ranges even with allow-loopback-peers.
  CHECK(r.client->connect_peer(stun::SocketAddress::v4({10, 0, 0, 1}, 80)).error_code() == 403);
  CHECK(r.server.totals().peer_denied == 1);
  // The server's own listener is never a peer.
  CHECK(r.client->connect_peer(stream_listener(r.server)).error_code() == 403);
  // An IPv6 peer for an IPv4 relay.
  CHECK(r.client->connect_peer(ipv6_loopback(80)).error_code() == 443);
  // Connect on a UDP allocation is 400 (RFC 6062 §5.2).
  auto udp_relay = stream_client(r.server, Transport::kTcp, "bob", "bob-pass");
  REQUIRE(udp_relay->allocate().is_success());
  TcpEchoPeer echo;
  CHECK(udp_relay->connect_peer(echo.address()).error_code() == 400);
  CHECK(echo.accepted() == 0);
}
