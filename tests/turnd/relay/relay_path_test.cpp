// The relay path over the wire: Send/Data indications (RFC 8656 §10) and ChannelData (§12).
#include <doctest/doctest.h>

#include "support/printers.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

struct Relay {
  TestServer server;
  TurnClient client;
  UdpSocket peer;

  explicit Relay(turn::Config config = test_config())
      : server(std::move(config)), client(server.address()) {
    REQUIRE(client.allocate().is_success());
  }
};

}  // namespace

TEST_CASE("relay: Send indications reach the peer from the relay address, payload intact") {
  Relay r;
  REQUIRE(r.client.create_permission({r.peer.local()}).is_success());
  std::uint64_t bytes = 0;
  for (std::size_t size : {1u, 2u, 3u, 4u, 5u, 7u, 160u, 1001u, 1400u}) {
    CAPTURE(size);
    const auto payload = payload_of(size, static_cast<std::uint8_t>(size));
    r.client.send_indication(r.peer.local(), payload);
    auto got = r.peer.receive();
    REQUIRE(got);
    CHECK(got->data == payload);
    CHECK(got->from == r.client.relay());
    bytes += size;
  }
  CHECK(r.server.wait_for([&](const turn::ServerTotals& t) {
    return t.client_to_peer_packets == 9 && t.client_to_peer_bytes == bytes;
  }));
}

TEST_CASE("relay: peer datagrams arrive as Data indications with XOR-PEER-ADDRESS and DATA") {
  Relay r;
  REQUIRE(r.client.create_permission({r.peer.local()}).is_success());
  std::uint64_t bytes = 0;
  for (std::size_t size : {1u, 2u, 3u, 5u, 6u, 7u, 8u, 333u, 1399u}) {
    CAPTURE(size);
    const auto payload = payload_of(size, 0x40);
    r.peer.send_to(r.client.relay(), payload);
    auto got = r.client.receive_relayed();  // also checks the length and padding
    REQUIRE(got);
    CHECK_FALSE(got->channel);
    CHECK(got->peer == r.peer.local());
    CHECK(got->data == payload);
    bytes += size;
  }
  CHECK(r.server.wait_for([&](const turn::ServerTotals& t) {
    return t.peer_to_client_packets == 9 && t.peer_to_client_bytes == bytes;
  }));
}

TEST_CASE("relay: Data indications are well-formed STUN indications with unique ids") {
  Relay r;
  REQUIRE(r.client.create_permission({r.peer.local()}).is_success());
  std::vector<stun::TransactionId> ids;
  for (int i = 0; i < 3; ++i) {
    r.peer.send_to(r.client.relay(), payload_of(3, static_cast<std::uint8_t>(i)));
    auto d = r.client.socket().receive();
    REQUIRE(d);
    CHECK(d->data.size() % 4 == 0);  // padded
    Message m(d->data);
    auto v = m.view();
    CHECK(v.method() == stun::Method::kData);
    CHECK(v.message_class() == stun::Class::kIndication);
    CHECK_FALSE(v.is_classic());
    CHECK_FALSE(v.has(stun::AttrType::kMessageIntegrity));  // indications are not signed
    ids.push_back(v.transaction_id());
  }
  CHECK(ids[0] != ids[1]);
  CHECK(ids[1] != ids[2]);
}

TEST_CASE("relay: ChannelData both ways after ChannelBind") {
  Relay r;
  REQUIRE(r.client.channel_bind(0x4321, r.peer.local()).is_success());
  for (std::size_t size : {1u, 3u, 4u, 5u, 999u}) {
    CAPTURE(size);
    const auto out = payload_of(size, 1);
    r.client.send_channel_data(0x4321, out);
    auto at_peer = r.peer.receive();
    REQUIRE(at_peer);
    CHECK(at_peer->data == out);
    CHECK(at_peer->from == r.client.relay());

    const auto back = payload_of(size, 2);
    r.peer.send_to(r.client.relay(), back);
    auto at_client = r.client.receive_relayed();
    REQUIRE(at_client);
    CHECK(at_client->channel);
    CHECK(at_client->number == 0x4321);
    CHECK(at_client->data == back);
  }
}

TEST_CASE("relay: ChannelData padded to 4 bytes (as over TCP) is accepted over UDP") {
  Relay r;
  REQUIRE(r.client.channel_bind(0x4001, r.peer.local()).is_success());
  const std::vector<std::uint8_t> datagram = {0x40, 0x01, 0x00, 0x03, 'a', 'b', 'c', 0x00};
  r.client.socket().send_to(r.server.address(), datagram);
  auto got = r.peer.receive();
  REQUIRE(got);
  CHECK(got->data == std::vector<std::uint8_t>{'a', 'b', 'c'});
}

TEST_CASE("relay: without a permission nothing is relayed either way") {
  Relay r;
  // Peer to client.
  r.peer.send_to(r.client.relay(), payload_of(10, 1));
  CHECK_FALSE(r.client.receive_relayed(kSilenceTimeout));
  CHECK(
      r.server.wait_for([](const turn::ServerTotals& t) { return t.no_permission_packets == 1; }));
  // Client to peer.
  r.client.send_indication(r.peer.local(), payload_of(10, 2));
  CHECK_FALSE(r.peer.receive(kSilenceTimeout));
  // A drop has no answer to wait for: the worker's count is polled, not read once after the
  // silence.
  CHECK(
      r.server.wait_for([](const turn::ServerTotals& t) { return t.no_permission_packets == 2; }));
  CHECK(r.server.totals().client_to_peer_packets == 0);
  CHECK(r.server.totals().peer_to_client_packets == 0);
}

TEST_CASE("relay: ChannelData on an unbound channel is dropped") {
  Relay r;
  REQUIRE(r.client.channel_bind(0x4001, r.peer.local()).is_success());
  r.client.send_channel_data(0x4002, payload_of(8, 1));
  CHECK_FALSE(r.peer.receive(kSilenceTimeout));
  // Drops have no answer to wait for: the worker's counts are polled.
  CHECK(
      r.server.wait_for([](const turn::ServerTotals& t) { return t.no_permission_packets == 1; }));
  // ChannelData whose length runs past the datagram is malformed.
  r.client.socket().send_to(r.server.address(),
                            std::vector<std::uint8_t>{0x40, 0x01, 0x00, 0x09, 1});
  CHECK_FALSE(r.peer.receive(kSilenceTimeout));
  CHECK(r.server.wait_for([](const turn::ServerTotals& t) { return t.malformed_packets == 1; }));
  CHECK(r.server.totals().client_to_peer_packets == 0);
}

TEST_CASE("relay: ChannelData and Send without an allocation are dropped") {
  TestServer server;
  TurnClient c(server.address());
  UdpSocket peer;
  c.send_channel_data(0x4001, payload_of(4, 1));
  c.send_indication(peer.local(), payload_of(4, 2));
  CHECK_FALSE(peer.receive(kSilenceTimeout));
  CHECK(server.wait_for([](const turn::ServerTotals& t) { return t.no_allocation_packets == 2; }));
}

TEST_CASE("relay: a Send indication without DATA is discarded") {
  Relay r;
  REQUIRE(r.client.create_permission({r.peer.local()}).is_success());
  std::vector<std::uint8_t> buf(128);
  stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kSend, stun::Class::kIndication),
                         random_tid());
  b.add(stun::attr::kXorPeerAddress, r.peer.local());
  auto bytes = b.finish();
  REQUIRE(bytes);
  r.client.socket().send_to(r.server.address(), *bytes);
  CHECK_FALSE(r.peer.receive(kSilenceTimeout));
  CHECK(r.server.totals().client_to_peer_packets == 0);
}

TEST_CASE("relay: 1000 packets each way, Send/Data and ChannelData, without loss") {
  Relay r;
  UdpSocket channel_peer;
  REQUIRE(r.client.create_permission({r.peer.local()}).is_success());
  REQUIRE(r.client.channel_bind(0x4444, channel_peer.local()).is_success());
  constexpr int kTotal = 1000;
  constexpr int kWindow = 200;
  auto tagged = [](int i) {
    auto p = payload_of(48 + static_cast<std::size_t>(i % 13), static_cast<std::uint8_t>(i));
    p[0] = static_cast<std::uint8_t>(i >> 8);
    p[1] = static_cast<std::uint8_t>(i);
    return p;
  };
  int client_to_peer = 0;
  int peer_to_client = 0;
  for (int start = 0; start < kTotal; start += kWindow) {
    // client -> peers: half as Send indications, half as ChannelData.
    for (int i = start; i < start + kWindow; ++i) {
      if (i % 2 == 0) {
        r.client.send_indication(r.peer.local(), tagged(i));
      } else {
        r.client.send_channel_data(0x4444, tagged(i));
      }
    }
    for (int i = start; i < start + kWindow; ++i) {
      auto got = (i % 2 == 0 ? r.peer : channel_peer).receive(kReplyTimeout);
      if (!got)
        break;
      if (got->data == tagged(i))
        ++client_to_peer;
    }
    // peers -> client: from the permitted peer (Data indications) and the channel peer.
    for (int i = start; i < start + kWindow; ++i)
      (i % 2 == 0 ? r.peer : channel_peer).send_to(r.client.relay(), tagged(i));
    int even = start;
    int odd = start + 1;
    for (int n = 0; n < kWindow; ++n) {
      auto got = r.client.receive_relayed(kReplyTimeout);
      if (!got)
        break;
      // Each peer's datagrams arrive in order; the two streams interleave arbitrarily.
      if (got->channel && got->number == 0x4444 && got->data == tagged(odd)) {
        odd += 2;
        ++peer_to_client;
      } else if (!got->channel && got->peer == r.peer.local() && got->data == tagged(even)) {
        even += 2;
        ++peer_to_client;
      }
    }
  }
  CHECK(client_to_peer == kTotal);
  CHECK(peer_to_client == kTotal);
  CHECK(r.server.wait_for([&](const turn::ServerTotals& t) {
    return t.client_to_peer_packets == kTotal && t.peer_to_client_packets == kTotal;
  }));
  CHECK(r.server.totals().send_errors == 0);
  CHECK(r.server.totals().relay_send_errors == 0);
}

TEST_CASE("relay: two clients talk through each other's relay addresses") {
  // Loopback peers are denied here: the other client's relay address is still allowed, because
  // turnd's own relay addresses always are.
  auto config = test_config();
  config.allow_loopback_peers = false;
  TestServer server(config);
  TurnClient a(server.address(), "alice", "alice-pass");
  TurnClient b(server.address(), "bob", "bob-pass");
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  REQUIRE(a.create_permission({b.relay()}).is_success());
  REQUIRE(b.channel_bind(0x4001, a.relay()).is_success());

  // a -> b: Send indication to b's relay; b gets it on its channel (bound to a's relay).
  const auto hello = payload_of(11, 1);
  a.send_indication(b.relay(), hello);
  auto at_b = b.receive_relayed();
  REQUIRE(at_b);
  CHECK(at_b->channel);
  CHECK(at_b->number == 0x4001);
  CHECK(at_b->data == hello);

  // b -> a: ChannelData; a gets a Data indication from b's relay address.
  const auto reply = payload_of(13, 2);
  b.send_channel_data(0x4001, reply);
  auto at_a = a.receive_relayed();
  REQUIRE(at_a);
  CHECK_FALSE(at_a->channel);
  CHECK(at_a->peer == b.relay());
  CHECK(at_a->data == reply);
}

TEST_CASE("relay: a permission for turnd's own relay IP does not open its other ports") {
  // CVE-2020-26262 class: with loopback peers denied, a permission installed for another
  // allocation's relay address (127.0.0.1, a relay port) must not let Send indications reach
  // other 127.0.0.1 ports.
  auto config = test_config();
  config.allow_loopback_peers = false;
  TestServer server(config);
  TurnClient a(server.address(), "alice", "alice-pass");
  TurnClient b(server.address(), "bob", "bob-pass");
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  REQUIRE(a.create_permission({b.relay()}).is_success());  // a permission for IP 127.0.0.1
  UdpSocket local_service;  // 127.0.0.1, an ephemeral port below the relay range
  CHECK(a.create_permission({local_service.local()}).error_code() == 403);
  a.send_indication(local_service.local(), payload_of(5, 1));
  CHECK_FALSE(local_service.receive(kSilenceTimeout));
  CHECK(a.channel_bind(0x4001, local_service.local()).error_code() == 403);
  CHECK(server.totals().peer_denied == 3);
  // The relay-to-relay path still works.
  REQUIRE(b.create_permission({a.relay()}).is_success());
  a.send_indication(b.relay(), payload_of(5, 2));
  CHECK(b.receive_relayed());
}

TEST_CASE("relay: an IPv6 client gets the default IPv4 relay on a dual-stack server") {
  // RFC 8656 §7.2: without REQUESTED-ADDRESS-FAMILY the relay is IPv4, whatever family the
  // client used; with no relay-ip it comes from an IPv4 listening address.
  auto config = test_config();
  config.listening_ips = {loopback(0), *stun::SocketAddress::parse_ip("::1")};
  TestServer server(config);
  REQUIRE(server.server().listeners().size() == 2);
  TurnClient c(server.server().listeners()[1]);
  REQUIRE(c.local().is_v6());
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  CHECK(c.relay().is_v4());
  CHECK(c.relay().same_ip(loopback(0)));

  UdpSocket peer;
  REQUIRE(c.create_permission({peer.local()}).is_success());
  const auto out = payload_of(5, 3);
  c.send_indication(peer.local(), out);
  auto at_peer = peer.receive();
  REQUIRE(at_peer);
  CHECK(at_peer->data == out);
  peer.send_to(c.relay(), out);
  auto back = c.receive_relayed();
  REQUIRE(back);
  CHECK(back->data == out);
}

TEST_CASE("relay: IPv6 allocation on an IPv6 listener, both ways") {
  auto config = test_config();
  const auto v6_loopback = *stun::SocketAddress::parse_ip("::1");
  config.listening_ips = {v6_loopback};
  TestServer server(config);
  TurnClient c(server.address());
  CHECK(c.local().is_v6());
  const Message r = c.allocate([](stun::MessageBuilder& b) {
    b.add(stun::attr::kRequestedAddressFamily, stun::kFamilyIpv6);
  });
  REQUIRE(r.is_success());
  CHECK(c.relay().same_ip(v6_loopback));
  CHECK(*r.view().get(stun::attr::kXorMappedAddress) == c.local());
  // An IPv4 peer on an IPv6 allocation is a family mismatch.
  CHECK(c.create_permission({loopback(5000)}).error_code() == 443);

  UdpSocket peer(v6_loopback);
  REQUIRE(c.create_permission({peer.local()}).is_success());
  const auto out = payload_of(7, 1);
  c.send_indication(peer.local(), out);
  auto at_peer = peer.receive();
  REQUIRE(at_peer);
  CHECK(at_peer->data == out);
  CHECK(at_peer->from == c.relay());
  const auto back = payload_of(9, 2);
  peer.send_to(c.relay(), back);
  auto at_client = c.receive_relayed();
  REQUIRE(at_client);
  CHECK_FALSE(at_client->channel);
  CHECK(at_client->peer == peer.local());
  CHECK(at_client->data == back);

  REQUIRE(c.channel_bind(0x4001, peer.local()).is_success());
  c.send_channel_data(0x4001, out);
  at_peer = peer.receive();
  REQUIRE(at_peer);
  CHECK(at_peer->data == out);
  peer.send_to(c.relay(), back);
  at_client = c.receive_relayed();
  REQUIRE(at_client);
  CHECK(at_client->channel);
  CHECK(at_client->data == back);
}
