// No heap allocation per relayed packet: this binary replaces the global operator new with one
// that counts calls from every thread but the test's own (the client and the peer run here and
// allocate freely), then relays thousands of packets through an in-process turnd both ways,
// ChannelData and Send/Data indications, and checks that turnd's threads did not allocate per
// packet. It is its own executable so the replacement touches no other test.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "support/test_server.hpp"

namespace {

std::atomic<std::uint64_t> g_counted_news{0};
thread_local bool t_not_counted = false;

void* counted_new(std::size_t size) {
  if (!t_not_counted)
    g_counted_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size))
    return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) {
  return counted_new(size);
}
void* operator new[](std::size_t size) {
  return counted_new(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

using namespace turntest;

namespace {

constexpr std::uint64_t kPackets = 2000;
constexpr std::uint16_t kChannel = 0x4000;

/// Sends kPackets each way (client -> peer, peer -> client), one at a time so nothing is lost,
/// and returns how many packets turnd relayed.
std::uint64_t relay_both_ways(TurnClient& client, UdpSocket& peer, bool channel) {
  const auto out = payload_of(160, 1);
  std::uint64_t relayed = 0;
  for (std::uint64_t i = 0; i < kPackets; ++i) {
    if (channel)
      client.send_channel_data(kChannel, out);
    else
      client.send_indication(peer.local(), out);
    auto at_peer = peer.receive();
    REQUIRE(at_peer);
    peer.send_to(client.relay(), at_peer->data);
    auto back = client.receive_relayed();
    REQUIRE(back);
    REQUIRE(back->channel == channel);
    relayed += 2;
  }
  return relayed;
}

}  // namespace

TEST_CASE("relay: no heap allocation per relayed packet, ChannelData or Send/Data") {
  t_not_counted = true;  // the test thread is client and peer; only turnd's threads count
  TestServer server;
  TurnClient client(server.address());
  UdpSocket channel_peer;     // bound to a channel: ChannelData both ways
  UdpSocket indication_peer;  // permission only: Send and Data indications
  const auto before_allocate = g_counted_news.load();
  REQUIRE(client.allocate().is_success());
  // The counter does see turnd's threads: creating an allocation allocates.
  CHECK(g_counted_news.load() > before_allocate);
  REQUIRE(client.create_permission({indication_peer.local()}).is_success());
  REQUIRE(client.channel_bind(kChannel, channel_peer.local()).is_success());
  // Warm up: first-use growth (hash tables, log buffers) happens here, not in the window.
  relay_both_ways(client, channel_peer, true);
  relay_both_ways(client, indication_peer, false);

  for (const bool channel : {true, false}) {
    CAPTURE(channel);
    const auto before = g_counted_news.load();
    const auto relayed = relay_both_ways(client, channel ? channel_peer : indication_peer, channel);
    const auto news = g_counted_news.load() - before;
    MESSAGE(relayed << " packets relayed, " << news << " heap allocations by turnd's threads");
    CHECK(relayed == 2 * kPackets);
    // Per-packet allocation would show thousands; timers (the 250 ms sweep, the control
    // thread's once-a-second user-db check) may allocate a few times in the window.
    CHECK(news < 50);
  }
}
