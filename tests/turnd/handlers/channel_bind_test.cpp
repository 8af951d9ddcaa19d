// ChannelBind over the wire (RFC 8656 §11).
#include <doctest/doctest.h>

#include <thread>

#include "support/printers.hpp"
#include "support/test_server.hpp"

using namespace turntest;

TEST_CASE("channel-bind: channel numbers outside the valid range are 400") {
  TestServer server;  // rfc5766_channel_numbers: 0x4000-0x7FFF
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;
  for (std::uint16_t bad : {0x0000, 0x3FFF, 0x8000, 0xFFFF}) {
    CAPTURE(bad);
    const Message r = c.channel_bind(bad, peer.local());
    CHECK(r.error_code() == 400);
    CHECK(c.verify(r));
  }
  CHECK(c.channel_bind(0x4000, peer.local()).is_success());
  UdpSocket peer2;
  CHECK(c.channel_bind(0x7FFF, peer2.local()).is_success());  // RFC 5766 range, on by default
}

TEST_CASE("channel-bind: RFC 8656's 0x4000-0x4FFF only, when rfc5766 channel numbers are off") {
  auto config = test_config();
  config.rfc5766_channel_numbers = false;
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;
  CHECK(c.channel_bind(0x5000, peer.local()).error_code() == 400);
  CHECK(c.channel_bind(0x4FFF, peer.local()).is_success());
}

TEST_CASE("channel-bind: missing CHANNEL-NUMBER or XOR-PEER-ADDRESS is 400") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;
  const Message no_peer = c.request(stun::Method::kChannelBind, [](stun::MessageBuilder& b) {
    b.add(stun::attr::kChannelNumber, std::uint16_t{0x4001});
  });
  CHECK(no_peer.error_code() == 400);
  const Message no_number = c.request(stun::Method::kChannelBind, [&](stun::MessageBuilder& b) {
    b.add(stun::attr::kXorPeerAddress, peer.local());
  });
  CHECK(no_number.error_code() == 400);
}

TEST_CASE("channel-bind: without an allocation is 437") {
  TestServer server;
  TurnClient c(server.address());
  UdpSocket peer;
  CHECK(c.channel_bind(0x4001, peer.local()).error_code() == 437);
}

TEST_CASE("channel-bind: a denied peer is 403") {
  auto config = test_config();
  config.allow_loopback_peers = false;
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;
  CHECK(c.channel_bind(0x4001, peer.local()).error_code() == 403);
  CHECK(c.channel_bind(0x4001, *stun::SocketAddress::parse("10.1.2.3:5000")).error_code() == 403);
  CHECK(server.totals().peer_denied == 2);
}

TEST_CASE("channel-bind: one number, one peer (RFC 8656 §11.2)") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer_a;
  UdpSocket peer_b;
  REQUIRE(c.channel_bind(0x4001, peer_a.local()).is_success());
  SUBCASE("a bound number cannot be bound to another peer") {
    CHECK(c.channel_bind(0x4001, peer_b.local()).error_code() == 400);
  }
  SUBCASE("a bound peer cannot get a second number") {
    CHECK(c.channel_bind(0x4002, peer_a.local()).error_code() == 400);
  }
  SUBCASE("the same peer on another port is another transport address: a new channel is fine") {
    CHECK(c.channel_bind(0x4002, peer_b.local()).is_success());
  }
  SUBCASE("binding the same pair again refreshes it") {
    const Message r = c.channel_bind(0x4001, peer_a.local());
    CHECK(r.is_success());
    CHECK(c.verify(r));
  }
  // Whatever happened above, channel 0x4001 still reaches peer_a.
  const std::vector<std::uint8_t> payload = {1, 2, 3};
  c.send_channel_data(0x4001, payload);
  auto got = peer_a.receive();
  REQUIRE(got);
  CHECK(got->data == payload);
  CHECK(got->from == c.relay());
}

TEST_CASE("channel-bind: installs a permission for the peer") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;
  REQUIRE(c.channel_bind(0x4abc, peer.local()).is_success());
  // No CreatePermission: the peer's datagram still gets through, on the channel.
  const std::vector<std::uint8_t> payload = {0xAA, 0xBB, 0xCC};
  peer.send_to(c.relay(), payload);
  auto got = c.receive_relayed();
  REQUIRE(got);
  CHECK(got->channel);
  CHECK(got->number == 0x4abc);
  CHECK(got->data == payload);
  // Another port of the same peer IP is covered by the permission, but not by the channel.
  UdpSocket same_ip;
  same_ip.send_to(c.relay(), payload);
  auto indication = c.receive_relayed();
  REQUIRE(indication);
  CHECK_FALSE(indication->channel);
  CHECK(indication->peer == same_ip.local());
}

TEST_CASE("channel-bind: a channel expires after channel-lifetime, its permission lives on") {
  auto config = test_config();
  config.channel_lifetime = 1;
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  UdpSocket peer;
  REQUIRE(c.channel_bind(0x4001, peer.local()).is_success());
  const std::vector<std::uint8_t> payload = {5, 6, 7, 8, 9};
  peer.send_to(c.relay(), payload);
  auto before = c.receive_relayed();
  REQUIRE(before);
  CHECK(before->channel);

  std::this_thread::sleep_for(1300ms);
  // The peer's datagrams now come as Data indications (the permission is 300 s).
  peer.send_to(c.relay(), payload);
  auto after = c.receive_relayed();
  REQUIRE(after);
  CHECK_FALSE(after->channel);
  CHECK(after->peer == peer.local());
  CHECK(after->data == payload);
  // And ChannelData on the expired number goes nowhere.
  c.send_channel_data(0x4001, payload);
  CHECK_FALSE(peer.receive(kSilenceTimeout));
  // Binding it again works.
  REQUIRE(c.channel_bind(0x4001, peer.local()).is_success());
  c.send_channel_data(0x4001, payload);
  CHECK(peer.receive());
}
