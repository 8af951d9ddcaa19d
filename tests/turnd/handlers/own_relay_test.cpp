// This host's own addresses as peers, over the wire (issue 12, defect 1): with loopback peers
// refused (the default), a client may reach another client's live relay on this server, and
// nothing else of the host: not a loopback UDP or TCP service on a port of the relay range, not
// a relay port after its allocation ended, not the metrics or listener ports (also behind
// external-ip), and never 0.0.0.0 when listening on the wildcard. Every path is tried:
// CreatePermission, ChannelBind, Send, RFC 6062 Connect and incoming RFC 6062 peers.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/tcp_echo_peer.hpp"
#include "support/test_server.hpp"
#include "support/turnd_process.hpp"

using namespace turntest;

namespace {

/// test_config() with the default peer policy (loopback peers refused).
turn::Config strict_config() {
  auto c = test_config();
  c.allow_loopback_peers = false;
  return c;
}

/// A port of the test relay range (61000-62999) that `bind_one` can take on 127.0.0.1: what a
/// local service holding an ephemeral port there looks like to turnd.
template <typename Bind>
auto in_relay_range(Bind bind_one) {
  std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(61000 + rng() % 2000);
    try {
      return bind_one(port);
    } catch (const std::exception&) {
    }
  }
  throw std::runtime_error("no free port in the relay range");
}

std::unique_ptr<UdpSocket> udp_service_in_relay_range() {
  return in_relay_range(
      [](std::uint16_t port) { return std::make_unique<UdpSocket>(loopback(port)); });
}

bool reaches(const UdpSocket& at, const std::vector<std::uint8_t>& payload) {
  auto got = at.receive(kSilenceTimeout);
  return got && got->data == payload;
}

}  // namespace

TEST_CASE("own relay: a loopback UDP service on a relay-range port is no peer on any path") {
  TestServer server(strict_config());
  auto service = udp_service_in_relay_range();
  TurnClient a(server.address());
  TurnClient b(server.address(), "bob", "bob-pass");
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  const stun::SocketAddress target = service->local();
  CAPTURE(target);
  CHECK(a.create_permission({target}).error_code() == 403);
  CHECK(a.create_permission({address("::ffff:127.0.0.1", target.port)}).error_code() == 403);
  CHECK(a.channel_bind(0x4000, target).error_code() == 403);
  // B's relay is a live relay of this server: A may reach it (two clients of one server)...
  REQUIRE(a.create_permission({b.relay()}).is_success());
  REQUIRE(b.create_permission({a.relay()}).is_success());
  const auto payload = payload_of(64, 3);
  a.send_indication(b.relay(), payload);
  auto at_b = b.receive_relayed();
  REQUIRE(at_b);
  CHECK(at_b->data == payload);
  // ...and that permission for 127.0.0.1 opens no other port of the IP.
  const auto denied_before = server.totals().peer_denied;
  a.send_indication(target, payload);
  CHECK_FALSE(reaches(*service, payload));
  // A drop has no answer to wait for: the worker's count is polled.
  CHECK(server.wait_for(
      [&](const turn::ServerTotals& t) { return t.peer_denied == denied_before + 1; }));
}

TEST_CASE("own relay: a channel to another client's relay stops when that allocation ends") {
  TestServer server(strict_config());
  TurnClient a(server.address());
  TurnClient b(server.address(), "bob", "bob-pass");
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  const stun::SocketAddress b_relay = b.relay();
  REQUIRE(a.channel_bind(0x4001, b_relay).is_success());
  REQUIRE(b.create_permission({a.relay()}).is_success());
  const auto payload = payload_of(80, 9);
  a.send_channel_data(0x4001, payload);
  auto at_b = b.receive_relayed();
  REQUIRE(at_b);
  CHECK(at_b->data == payload);

  REQUIRE(b.refresh(0).is_success());
  // The port is free again: any socket of the host may take it now.
  std::unique_ptr<UdpSocket> squatter;
  REQUIRE(eventually([&] {
    try {
      squatter = std::make_unique<UdpSocket>(b_relay);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }));
  const auto denied_before = server.totals().peer_denied;
  a.send_channel_data(0x4001, payload);
  CHECK_FALSE(reaches(*squatter, payload));
  CHECK(server.wait_for(
      [&](const turn::ServerTotals& t) { return t.peer_denied == denied_before + 1; }));
  // Nor may it be bound again while nobody's relay.
  CHECK(a.channel_bind(0x4002, b_relay).error_code() == 403);
}

TEST_CASE("own relay: RFC 6062 Connect reaches another TCP relay, never a loopback TCP service") {
  TestServer server(strict_config());
  auto service = in_relay_range(
      [](std::uint16_t port) { return std::make_unique<TcpEchoPeer>(loopback(port)); });
  auto a = stream_client(server, Transport::kTcp);
  auto b = stream_client(server, Transport::kTcp, "bob", "bob-pass");
  const Message a_alloc = a->allocate_tcp();
  REQUIRE(a_alloc.is_success());
  const Message b_alloc = b->allocate_tcp();
  REQUIRE(b_alloc.is_success());
  const auto a_relay = *a_alloc.view().get(stun::attr::kXorRelayedAddress);
  const auto b_relay = *b_alloc.view().get(stun::attr::kXorRelayedAddress);
  CAPTURE(service->address());

  CHECK(a->connect_peer(service->address()).error_code() == 403);
  CHECK(a->connect_peer(address("::ffff:127.0.0.1", service->address().port)).error_code() == 403);
  std::this_thread::sleep_for(kSilenceTimeout);
  CHECK(service->accepted() == 0);

  // A UDP relay's port is no TCP relay: the protocol must match too.
  TurnClient udp(server.address());
  REQUIRE(udp.allocate().is_success());
  CHECK(a->connect_peer(udp.relay()).error_code() == 403);

  // B may let A in: a permission for B's relay address, then A's Connect to it arrives from A's
  // relayed address (a live TCP relay) and B hears of it with a ConnectionAttempt.
  REQUIRE(b->create_permission({a_relay}).is_success());
  const Message connect = a->connect_peer(b_relay);
  CHECK(connect.is_success());
  auto attempt =
      next_stun(*b->stream(), stun::Method::kConnectionAttempt, stun::Class::kIndication);
  REQUIRE(attempt);
  CHECK(*attempt->view().get(stun::attr::kXorPeerAddress) == a_relay);

  // A loopback socket that is no relay of ours is turned away by B's relay, permission or not.
  auto intruder = StreamConnection::connect(b_relay);
  CHECK(intruder->closed_by_peer());
  CHECK_FALSE(next_stun(*b->stream(), stun::Method::kConnectionAttempt, stun::Class::kIndication,
                        kSilenceTimeout));
}

TEST_CASE("own relay: metrics and listener ports, also behind external-ip, are never peers") {
  auto config = test_config();  // loopback peers allowed: only the service ports are refused
  config.prometheus = true;
  config.prometheus_address = loopback();
  config.prometheus_port = free_udp_tcp_port();
  config.external_ips = {{address("198.51.100.1", 0), loopback()}};
  config.allowed_peer_ips = {*turn::AddressRange::parse("198.51.100.1")};
  TestServer server(config);
  const std::uint16_t listener = server.address().port;
  const std::uint16_t metrics = server.server().metrics()->port();
  TurnClient a(server.address());
  TurnClient b(server.address(), "bob", "bob-pass");
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  for (const char* own : {"127.0.0.1", "127.0.0.9", "::ffff:127.0.0.1", "198.51.100.1"}) {
    CAPTURE(own);
    CHECK(a.create_permission({address(own, metrics)}).error_code() == 403);
    CHECK(a.create_permission({address(own, listener)}).error_code() == 403);
    CHECK(a.channel_bind(0x4100, address(own, metrics)).error_code() == 403);
  }
  // B's relay as clients see it (the external address) is reachable; other ports of the
  // external address only because allowed-peer-ip names it exactly.
  CHECK(b.relay().same_ip(address("198.51.100.1", 0)));
  CHECK(a.create_permission({b.relay()}).is_success());
  CHECK(a.create_permission({address("198.51.100.1", 5000)}).is_success());
}

TEST_CASE("own relay: listening on 0.0.0.0, the peer 0.0.0.0 stays denied") {
  auto config = strict_config();
  config.listening_ips = {address("0.0.0.0", 0)};
  TestServer server(config);
  TurnClient a(loopback(server.address().port));
  TurnClient b(loopback(server.address().port), "bob", "bob-pass");
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  const std::uint16_t b_port = b.relay().port;
  CHECK(a.create_permission({address("0.0.0.0", b_port)}).error_code() == 403);
  CHECK(a.create_permission({address("::ffff:0.0.0.0", b_port)}).error_code() == 403);
  CHECK(a.channel_bind(0x4000, address("0.0.0.0", b_port)).error_code() == 403);
  // B's relay, bound to the wildcard, is reached at a real address of the host.
  REQUIRE(a.create_permission({loopback(b_port)}).is_success());
  REQUIRE(b.create_permission({loopback(a.relay().port)}).is_success());
  const auto payload = payload_of(32, 1);
  a.send_indication(loopback(b_port), payload);
  auto at_b = b.receive_relayed();
  REQUIRE(at_b);
  CHECK(at_b->data == payload);
}
