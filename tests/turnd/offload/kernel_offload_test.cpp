// The kernel fast path (turnd/offload) over real loopback sockets, with kernel-offload=on: a
// bound channel's ChannelData goes client -> peer and back without reaching turnd's sockets, the
// kernel's counts reach turnd's counters, and the kernel stops relaying the moment user space
// would (Refresh 0, the permission's end). Packets the program must not handle (too big for its
// move, unbound channels) reach user space and are relayed there. Needs root and a build with
// libbpf; elsewhere the fast path reports itself unavailable, which is tested instead.
#include <doctest/doctest.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "offload/kernel_offload.hpp"
#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

constexpr std::uint16_t kChannel = 0x4001;

bool offload_possible() {
  return TURND_KERNEL_OFFLOAD && ::geteuid() == 0;
}

turn::Config offload_config() {
  turn::Config c = test_config();
  c.kernel_offload = turn::Config::KernelOffload::kOn;
  return c;
}

/// A client with an allocation and `kChannel` bound to `peer`.
struct Bound {
  explicit Bound(TestServer& server, UdpSocket& peer)
      : client(server.address(), "alice", "alice-pass") {
    REQUIRE(client.allocate().is_success());
    REQUIRE(client.channel_bind(kChannel, peer.local()).is_success());
  }
  TurnClient client;
};

}  // namespace

TEST_CASE("kernel offload: unavailable without privileges or libbpf, and on then fails startup") {
  if (offload_possible())
    return;  // the tests below run instead
  std::string why;
  CHECK(turn::KernelOffload::open(turn::offload_devices({loopback()}), why) == nullptr);
  CHECK_FALSE(why.empty());
  CHECK_THROWS(TestServer(offload_config()));
}

TEST_CASE("kernel offload: ChannelData both ways bypasses turnd, and is counted") {
  if (!offload_possible())
    return;
  TestServer server(offload_config());
  UdpSocket peer;
  Bound b(server, peer);
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.offloaded_flows == 1; }));
  const std::uint64_t received_before = server.totals().recvmmsg_packets;

  std::size_t bytes_up = 0;
  std::size_t bytes_down = 0;
  for (std::size_t size : {0u, 1u, 3u, 200u, 1200u, 1536u}) {
    CAPTURE(size);
    const auto up = payload_of(size, static_cast<std::uint8_t>(size));
    b.client.send_channel_data(kChannel, up);
    auto at_peer = peer.receive();
    REQUIRE(at_peer);
    CHECK(at_peer->data == up);
    CHECK(at_peer->from == b.client.relay());
    bytes_up += size;

    const auto down = payload_of(size, static_cast<std::uint8_t>(size + 7));
    peer.send_to(b.client.relay(), down);
    auto back = b.client.receive_relayed();
    REQUIRE(back);
    CHECK(back->channel);
    CHECK(back->number == kChannel);
    CHECK(back->data == down);
    bytes_down += size;
  }
  // None of it went through turnd's sockets...
  CHECK(server.totals().recvmmsg_packets == received_before);
  // ...and all of it is in turnd's counters once the sweep read the kernel's.
  CHECK(server.wait_for([&](const turn::ServerTotals& t) {
    return t.offloaded_packets == 12 && t.client_to_peer_packets == 6 &&
           t.peer_to_client_packets == 6 && t.client_to_peer_bytes == bytes_up &&
           t.peer_to_client_bytes == bytes_down;
  }));
}

TEST_CASE(
    "kernel offload: padded ChannelData loses its padding; Send indications stay in user space") {
  if (!offload_possible())
    return;
  TestServer server(offload_config());
  UdpSocket peer;
  UdpSocket other_peer;
  Bound b(server, peer);
  // RFC 8656 §12.5: over UDP the padding may be there; the peer gets the data alone.
  b.client.send_raw(std::vector<std::uint8_t>{0x40, 0x01, 0x00, 0x01, 0xAB, 0x00, 0x00, 0x00});
  auto at_peer = peer.receive();
  REQUIRE(at_peer);
  CHECK(at_peer->data == std::vector<std::uint8_t>{0xAB});
  // A channel bound by an indication-only peer's permission is not offloaded: Send goes up.
  REQUIRE(b.client.create_permission({other_peer.local()}).is_success());
  const std::uint64_t received_before = server.totals().recvmmsg_packets;
  b.client.send_indication(other_peer.local(), payload_of(10, 1));
  REQUIRE(other_peer.receive());
  CHECK(server.totals().recvmmsg_packets == received_before + 1);
}

TEST_CASE("kernel offload: payloads past what the program moves are relayed by user space") {
  if (!offload_possible())
    return;
  TestServer server(offload_config());
  UdpSocket peer;
  Bound b(server, peer);
  const std::uint64_t received_before = server.totals().recvmmsg_packets;
  const auto big = payload_of(4000, 9);
  b.client.send_channel_data(kChannel, big);
  auto at_peer = peer.receive();
  REQUIRE(at_peer);
  CHECK(at_peer->data == big);
  peer.send_to(b.client.relay(), big);
  auto back = b.client.receive_relayed();
  REQUIRE(back);
  CHECK(back->data == big);
  CHECK(server.totals().recvmmsg_packets == received_before + 2);
  CHECK(server.totals().offload_fallbacks[4] == 2);  // too_big
}

TEST_CASE("kernel offload: Refresh 0 stops the kernel relaying at once") {
  if (!offload_possible())
    return;
  TestServer server(offload_config());
  UdpSocket peer;
  Bound b(server, peer);
  b.client.send_channel_data(kChannel, payload_of(20, 1));
  REQUIRE(peer.receive());
  REQUIRE(b.client.refresh(0).is_success());
  CHECK(server.totals().offloaded_flows == 0);
  b.client.send_channel_data(kChannel, payload_of(20, 2));
  CHECK_FALSE(peer.receive(std::chrono::milliseconds(300)));
  peer.send_to(b.client.relay(), payload_of(20, 3));
  CHECK_FALSE(b.client.receive_relayed(std::chrono::milliseconds(300)));
  // The ChannelData went up to user space, which has no allocation for it any more.
  CHECK(server.wait_for([](const turn::ServerTotals& t) { return t.no_allocation_packets >= 1; }));
}

TEST_CASE("kernel offload: the kernel stops when the permission ends, without being told") {
  if (!offload_possible())
    return;
  turn::Config c = offload_config();
  c.permission_lifetime = 1;  // the channel (600 s) outlives it
  TestServer server(std::move(c));
  UdpSocket peer;
  Bound b(server, peer);
  b.client.send_channel_data(kChannel, payload_of(20, 1));
  REQUIRE(peer.receive());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  b.client.send_channel_data(kChannel, payload_of(20, 2));
  CHECK_FALSE(peer.receive(std::chrono::milliseconds(300)));
  // A new permission puts the channel back on the fast path.
  REQUIRE(b.client.create_permission({peer.local()}).is_success());
  b.client.send_channel_data(kChannel, payload_of(20, 3));
  CHECK(peer.receive());
}

TEST_CASE("kernel offload: IPv6 on ::1") {
  if (!offload_possible())
    return;
  turn::Config c = offload_config();
  c.listening_ips = {ipv6_loopback()};
  c.allocation_default_address_family = turn::Config::AddressFamilyDefault::kKeep;
  TestServer server(std::move(c));
  UdpSocket peer(ipv6_loopback());
  TurnClient client(server.address(), "alice", "alice-pass");
  REQUIRE(client.allocate().is_success());
  REQUIRE(client.channel_bind(kChannel, peer.local()).is_success());
  const std::uint64_t received_before = server.totals().recvmmsg_packets;
  const auto up = payload_of(300, 4);
  client.send_channel_data(kChannel, up);
  auto at_peer = peer.receive();
  REQUIRE(at_peer);
  CHECK(at_peer->data == up);
  peer.send_to(client.relay(), up);
  auto back = client.receive_relayed();
  REQUIRE(back);
  CHECK(back->data == up);
  CHECK(server.totals().recvmmsg_packets == received_before);
}

TEST_CASE(
    "kernel offload: a reload that refuses the peer ends the flow; one that does not keeps it") {
  if (!offload_possible())
    return;
  const turn::Config base = offload_config();
  TestServer server(base);
  UdpSocket peer;
  Bound b(server, peer);
  turn::Config next = base;
  server.server().set_config_loader([&next] { return next; });

  REQUIRE(server.server().reload());  // the same policy: the flow stays
  b.client.send_channel_data(kChannel, payload_of(20, 1));
  REQUIRE(peer.receive());
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.offloaded_flows == 1; }));

  next.denied_peer_ips = {*turn::AddressRange::parse("127.0.0.1")};
  REQUIRE(server.server().reload());
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.offloaded_flows == 0; }));
  b.client.send_channel_data(kChannel, payload_of(20, 2));
  CHECK_FALSE(peer.receive(std::chrono::milliseconds(300)));
  peer.send_to(b.client.relay(), payload_of(20, 3));
  CHECK_FALSE(b.client.receive_relayed(std::chrono::milliseconds(300)));
  // And the channel cannot be bound again to the refused peer.
  CHECK(b.client.channel_bind(kChannel, peer.local()).error_code() == 403);
}

TEST_CASE("kernel offload: a GSO burst from the peer goes up to user space and is relayed there") {
  if (!offload_possible())
    return;
  TestServer server(offload_config());
  UdpSocket peer;
  Bound b(server, peer);
  // UDP_SEGMENT: one 300-byte send leaves as three 100-byte datagrams, but crosses lo as one
  // super-packet, which the program must not rewrite.
  const int segment = 100;
  REQUIRE(::setsockopt(peer.fd(), IPPROTO_UDP, UDP_SEGMENT, &segment, sizeof segment) == 0);
  peer.send_to(b.client.relay(), payload_of(300, 5));
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    auto back = b.client.receive_relayed();
    REQUIRE(back);
    CHECK(back->channel);
    CHECK(back->data.size() == 100);
  }
  CHECK(server.totals().offload_fallbacks[2] >= 1);  // gso
}

TEST_CASE(
    "kernel offload: two clients of this server relay to each other in one pass, and only while "
    "both sides are offloaded") {
  if (!offload_possible())
    return;
  turn::Config c = offload_config();
  c.allow_loopback_peers = false;  // the default: this host's ports are peers only as live relays
  TestServer server(std::move(c));
  TurnClient a(server.address(), "alice", "alice-pass");
  TurnClient b(server.address(), "alice", "alice-pass");
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  constexpr std::uint16_t kToB = 0x4001;
  constexpr std::uint16_t kToA = 0x4ABC;

  // Only A's side is bound: the kernel must not hand A's data to B's relay port itself, so it
  // goes up and user space relays it (to B as a Data indication: B has a permission only).
  REQUIRE(a.channel_bind(kToB, b.relay()).is_success());
  REQUIRE(b.create_permission({a.relay()}).is_success());
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.offloaded_flows == 1; }));
  a.send_channel_data(kToB, payload_of(50, 1));
  auto first = b.receive_relayed();
  REQUIRE(first);
  CHECK_FALSE(first->channel);
  CHECK(first->peer == a.relay());
  CHECK(first->data == payload_of(50, 1));
  CHECK(server.totals().offload_fallbacks[8] >= 1);  // own_relay

  // Both sides bound: ChannelData in, ChannelData out with the other side's channel, in one
  // pass, and none of it through turnd's sockets.
  REQUIRE(b.channel_bind(kToA, a.relay()).is_success());
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.offloaded_flows == 2; }));
  const turn::ServerTotals before = server.totals();
  std::size_t bytes = 0;
  for (std::size_t size : {0u, 1u, 3u, 200u, 1200u, 1536u}) {
    CAPTURE(size);
    const auto there = payload_of(size, static_cast<std::uint8_t>(size));
    a.send_channel_data(kToB, there);
    auto at_b = b.receive_relayed();
    REQUIRE(at_b);
    CHECK(at_b->channel);
    CHECK(at_b->number == kToA);
    CHECK(at_b->data == there);
    const auto back = payload_of(size, static_cast<std::uint8_t>(size + 3));
    b.send_channel_data(kToA, back);
    auto at_a = a.receive_relayed();
    REQUIRE(at_a);
    CHECK(at_a->number == kToB);
    CHECK(at_a->data == back);
    bytes += 2 * size;
  }
  // Padded ChannelData (RFC 8656 §12.5) arrives without its padding.
  a.send_raw(std::vector<std::uint8_t>{0x40, 0x01, 0x00, 0x01, 0xAB, 0x00, 0x00, 0x00});
  auto padded = b.receive_relayed();
  REQUIRE(padded);
  CHECK(padded->number == kToA);
  CHECK(padded->data == std::vector<std::uint8_t>{0xAB});
  CHECK(server.totals().recvmmsg_packets == before.recvmmsg_packets);
  // Each packet is one client->peer of its sender's allocation and one peer->client of the
  // other's, as user space counts them.
  CHECK(server.wait_for([&](const turn::ServerTotals& t) {
    return t.offloaded_packets - before.offloaded_packets == 26 &&
           t.client_to_peer_packets - before.client_to_peer_packets == 13 &&
           t.peer_to_client_packets - before.peer_to_client_packets == 13 &&
           t.client_to_peer_bytes - before.client_to_peer_bytes == bytes + 1 &&
           t.peer_to_client_bytes - before.peer_to_client_bytes == bytes + 1;
  }));

  // B's allocation ends: its flow goes, and A's data reaches neither B's old relay port, even
  // when a local service has taken it, nor anything else.
  const stun::SocketAddress b_relay = b.relay();
  REQUIRE(b.refresh(0).is_success());
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.offloaded_flows == 1; }));
  std::unique_ptr<UdpSocket> squatter;
  try {
    squatter = std::make_unique<UdpSocket>(b_relay);
  } catch (const std::exception&) {
    // The port is held elsewhere meanwhile: the denial is still checked below.
  }
  const std::uint64_t denied = server.totals().peer_denied;
  a.send_channel_data(kToB, payload_of(40, 9));
  if (squatter)
    CHECK_FALSE(squatter->receive(std::chrono::milliseconds(300)));
  CHECK(server.wait_for([&](const turn::ServerTotals& t) { return t.peer_denied == denied + 1; }));
}
