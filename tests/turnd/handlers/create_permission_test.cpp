// CreatePermission over the wire (RFC 8656 §9) and the peer policy it enforces.
#include <doctest/doctest.h>

#include <thread>

#include "support/printers.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

/// True when a datagram the peer sends to the client's relay address reaches the client.
bool peer_reaches_client(TurnClient& c, const UdpSocket& peer, std::uint8_t tag) {
  const std::vector<std::uint8_t> payload = {tag, 1, 2, 3, 4};
  peer.send_to(c.relay(), payload);
  auto got = c.receive_relayed(kSilenceTimeout);
  return got && got->data == payload;
}

}  // namespace

TEST_CASE("create-permission: several XOR-PEER-ADDRESS install a permission for each") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer2(loopback(0));
  UdpSocket peer3(address("127.0.0.3", 0));
  UdpSocket peer4(address("127.0.0.4", 0));
  const Message r = c.create_permission({peer2.local(), peer3.local()});
  REQUIRE(r.is_success());
  CHECK(c.verify(r));
  CHECK(peer_reaches_client(c, peer2, 2));
  CHECK(peer_reaches_client(c, peer3, 3));
  CHECK_FALSE(peer_reaches_client(c, peer4, 4));  // no permission for 127.0.0.4
  // A drop has no answer to wait for: the worker's count is polled.
  CHECK(server.wait_for([](const turn::ServerTotals& t) { return t.no_permission_packets == 1; }));
}

TEST_CASE("create-permission: permissions are per IP, ports ignored (RFC 8656 §9)") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;
  REQUIRE(c.create_permission({loopback(1)}).is_success());  // port 1: any port would do
  CHECK(peer_reaches_client(c, peer, 7));
}

TEST_CASE("create-permission: without XOR-PEER-ADDRESS is 400") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  const Message r = c.create_permission({});
  CHECK(r.error_code() == 400);
  CHECK(c.verify(r));
}

TEST_CASE("create-permission: without an allocation is 437") {
  TestServer server;
  TurnClient c(server.address());
  CHECK(c.create_permission({loopback(5000)}).error_code() == 437);
}

TEST_CASE("create-permission: an IPv6 peer on an IPv4 allocation is 443") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  CHECK(c.create_permission({address("2a00:1450::1", 5000)}).error_code() == 443);
}

TEST_CASE("create-permission: the default policy denies special-purpose peers with 403") {
  auto config = test_config();
  config.allow_loopback_peers = false;
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  std::uint64_t denied = 0;
  // 40000 is outside the relay port range (61000-62999): not one of turnd's relay addresses.
  for (const char* peer :
       {"10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "255.255.255.255", "127.0.0.1", "127.9.9.9", "::ffff:127.0.0.1", "::127.0.0.1",
        "::ffff:10.0.0.1", "::ffff:169.254.169.254"}) {
    CAPTURE(peer);
    const Message r = c.create_permission({address(peer, 40000)});
    CHECK(r.error_code() == 403);
    CHECK(c.verify(r));
    ++denied;
  }
  CHECK(server.totals().peer_denied == denied);
  // An ordinary public address is fine.
  CHECK(c.create_permission({address("8.8.8.8", 53)}).is_success());
}

TEST_CASE("create-permission: a loopback peer is denied unless allow-loopback-peers") {
  auto config = test_config();
  config.allow_loopback_peers = false;
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;  // 127.0.0.1, an ephemeral port below the relay range
  CHECK(c.create_permission({peer.local()}).error_code() == 403);
  CHECK_FALSE(peer_reaches_client(c, peer, 1));

  TestServer open;  // test_config(): allow_loopback_peers = true
  TurnClient d(open.address());
  REQUIRE(d.allocate().is_success());
  CHECK(d.create_permission({peer.local()}).is_success());
  CHECK(peer_reaches_client(d, peer, 2));
}

TEST_CASE("create-permission: one denied peer refuses the whole request, nothing installed") {
  auto config = test_config();
  config.allow_loopback_peers = false;
  config.allowed_peer_ips.push_back(*turn::AddressRange::parse("127.0.0.2"));
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer(address("127.0.0.2", 0));
  const Message r = c.create_permission({peer.local(), address("10.0.0.1", 9)});
  CHECK(r.error_code() == 403);
  CHECK_FALSE(peer_reaches_client(c, peer, 1));
  // allowed-peer-ip opened a hole in the default loopback deny for 127.0.0.2 only.
  REQUIRE(c.create_permission({peer.local()}).is_success());
  CHECK(peer_reaches_client(c, peer, 2));
  CHECK(c.create_permission({address("127.0.0.3", 40000)}).error_code() == 403);
}

TEST_CASE("create-permission: turnd's own listening address is never a peer") {
  TestServer server;  // loopback peers allowed
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  const stun::SocketAddress listener = server.address();
  CHECK(c.create_permission({listener}).error_code() == 403);
  // Nor in its IPv4-mapped IPv6 spelling.
  std::array<std::uint8_t, 16> mapped{};
  mapped[10] = mapped[11] = 0xFF;
  mapped[12] = 127;
  mapped[15] = 1;
  CHECK(c.create_permission({stun::SocketAddress::v6(mapped, listener.port)}).error_code() == 403);
  // The same IP on another port is just a loopback peer.
  CHECK(
      c.create_permission({loopback(static_cast<std::uint16_t>(listener.port + 1))}).is_success());
  // Nor through an allowed-peer-ip hole.
  auto config = test_config();
  config.allowed_peer_ips.push_back(*turn::AddressRange::parse("127.0.0.0/8"));
  TestServer holed(config);
  TurnClient d(holed.address());
  REQUIRE(d.allocate().is_success());
  CHECK(d.create_permission({holed.address()}).error_code() == 403);
}

TEST_CASE("create-permission: denied-peer-ip closes more; allowed-peer-ip wins over it") {
  auto config = test_config();
  config.denied_peer_ips.push_back(*turn::AddressRange::parse("8.8.0.0/16"));
  config.denied_peer_ips.push_back(*turn::AddressRange::parse("127.0.0.5-127.0.0.6"));
  config.allowed_peer_ips.push_back(*turn::AddressRange::parse("8.8.4.4"));
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  CHECK(c.create_permission({address("8.8.8.8", 53)}).error_code() == 403);
  CHECK(c.create_permission({address("127.0.0.5", 5000)}).error_code() == 403);
  CHECK(c.create_permission({address("127.0.0.6", 5000)}).error_code() == 403);
  CHECK(c.create_permission({address("8.8.4.4", 53)}).is_success());
  CHECK(c.create_permission({address("127.0.0.7", 5000)}).is_success());
  CHECK(c.create_permission({address("1.1.1.1", 53)}).is_success());
}

TEST_CASE("create-permission: permissions expire after permission-lifetime") {
  auto config = test_config();
  config.permission_lifetime = 1;
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;
  REQUIRE(c.create_permission({peer.local()}).is_success());
  CHECK(peer_reaches_client(c, peer, 1));
  std::this_thread::sleep_for(1300ms);
  const auto dropped_before = server.totals().no_permission_packets;
  CHECK_FALSE(peer_reaches_client(c, peer, 2));
  CHECK(server.wait_for(
      [&](const turn::ServerTotals& t) { return t.no_permission_packets == dropped_before + 1; }));
  // The client cannot send to it either.
  c.send_indication(peer.local(), std::vector<std::uint8_t>{9, 9, 9});
  CHECK_FALSE(peer.receive(kSilenceTimeout));
  // A new CreatePermission installs it again.
  REQUIRE(c.create_permission({peer.local()}).is_success());
  CHECK(peer_reaches_client(c, peer, 3));
}
