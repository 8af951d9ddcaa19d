// The allocation table keeping the kernel's flows equal to what user space would relay, against a
// fake fast path and a clock that is just a number: which channels are offloaded, until when,
// when they are taken back, and how the kernel's counts reach the allocation and the worker.
#include <doctest/doctest.h>

#include <map>

#include "alloc/allocation_table.hpp"
#include "config/config.hpp"
#include "support/fake_context.hpp"

using namespace turntest;

namespace {

const stun::SocketAddress kClient = stun::SocketAddress::v4({192, 0, 2, 1}, 1000);
const stun::SocketAddress kListener = stun::SocketAddress::v4({10, 0, 0, 1}, 3478);
const stun::SocketAddress kPeer = stun::SocketAddress::v4({8, 8, 4, 4}, 5000);

class FakeKernel final : public turn::FlowOffload {
 public:
  std::map<std::uint32_t, turn::OffloadFlow> flows;
  std::map<std::uint32_t, turn::FlowCounters> counts;
  bool full = false;
  int removed = 0;

  std::uint32_t install(const turn::OffloadFlow& flow) override {
    if (full)
      return 0;
    flows[next_] = flow;
    counts[next_] = {};
    return next_++;
  }
  void extend(std::uint32_t handle, std::uint64_t expires_ms) override {
    flows.at(handle).expires_ms = expires_ms;
  }
  turn::FlowCounters remove(std::uint32_t handle) override {
    flows.erase(handle);
    ++removed;
    return counts.at(handle);
  }
  turn::FlowCounters counters(std::uint32_t handle) const override { return counts.at(handle); }

 private:
  std::uint32_t next_ = 1;
};

struct Offloaded {
  FakeBinder binder;
  turn::QuotaTracker quota{0, 0};
  turn::BandwidthPool bandwidth;
  turn::WorkerStats stats;
  FakeKernel kernel;
  turn::AllocationTable table{binder, quota, bandwidth, stats};
  turn::Traffic at_end;

  Offloaded() {
    table.set_offload(&kernel);
    table.on_end([this](turn::Allocation& a, const char*) { at_end = a.traffic; });
  }
  turn::Allocation* create(std::uint32_t connection = 0, std::uint64_t max_bps = 0) {
    turn::AllocationRequest r;
    r.listener = kListener;
    r.relay_ip = stun::SocketAddress::v4({10, 0, 0, 1}, 0);
    r.user = "alice";
    r.quota_user = r.user;
    r.lifetime_s = 600;
    r.max_bps = max_bps;
    return table.create({kClient, 0, connection}, std::move(r), 0).allocation;
  }
  /// ChannelBind as the handler does it: the channel (600 s), then the permission (300 s).
  void bind(turn::Allocation& a, std::uint16_t number, const stun::SocketAddress& peer,
            std::uint64_t now, bool own_relay = false) {
    REQUIRE(table.bind_channel(a, number, peer, now + 600'000, own_relay, 128, now) ==
            turn::ChannelBindResult::kOk);
    table.permit(a, peer, now + 300'000, now);
  }
};

}  // namespace

TEST_CASE("channel offloader: a bound, permitted channel is one flow until the permission ends") {
  Offloaded t;
  turn::Allocation* a = t.create();
  REQUIRE(a != nullptr);
  t.bind(*a, 0x4001, kPeer, 0);
  REQUIRE(t.kernel.flows.size() == 1);
  const turn::OffloadFlow& f = t.kernel.flows.begin()->second;
  CHECK_FALSE(f.own_relay);
  CHECK(f.client == kClient);
  CHECK(f.listener == kListener);
  CHECK(f.relay == a->relay);
  CHECK(f.peer == kPeer);
  CHECK(f.channel == 0x4001);
  CHECK(f.expires_ms == 300'000);  // the permission ends first
  CHECK(t.table.offloaded_flows() == 1);
  CHECK(t.stats.offloaded_flows == 1);

  // A CreatePermission at 200 s moves the end to the channel's, 600 s.
  t.table.permit(*a, kPeer, 500'000, 200'000);
  CHECK(t.kernel.flows.begin()->second.expires_ms == 500'000);

  // The permission ends at 500 s: the flow goes before it does.
  t.table.expire(500'000);
  CHECK(t.kernel.flows.empty());
  CHECK(t.stats.offloaded_flows == 0);
  CHECK(a->channels.count(0x4001) == 1);  // the channel itself lives on (until 600 s)
  // A new permission puts the channel back in the kernel.
  t.table.permit(*a, kPeer, 550'000, 500'001);
  CHECK(t.kernel.flows.size() == 1);
}

TEST_CASE("channel offloader: what stays in user space") {
  Offloaded t;
  SUBCASE("a TCP/TLS/DTLS client") {
    turn::Allocation* a = t.create(/*connection=*/7);
    t.bind(*a, 0x4001, kPeer, 0);
  }
  SUBCASE("an allocation with max-bps") {
    turn::Allocation* a = t.create(0, /*max_bps=*/64'000);
    t.bind(*a, 0x4001, kPeer, 0);
  }
  SUBCASE("a peer of the other family") {
    turn::Allocation* a = t.create();
    t.bind(*a, 0x4001,
           stun::SocketAddress::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 9),
           0);
  }
  SUBCASE("a permission without a channel") {
    turn::Allocation* a = t.create();
    t.table.permit(*a, kPeer, 300'000, 0);
  }
  CHECK(t.kernel.flows.empty());
  CHECK(t.stats.offload_flows_installed == 0);
}

TEST_CASE("channel offloader: a channel to one of this server's own relays is marked so") {
  // The kernel must relay it only on to that relay's own offloaded flow, never to the port.
  Offloaded t;
  turn::Allocation* a = t.create();
  t.bind(*a, 0x4001, kPeer, 0, /*own_relay=*/true);
  REQUIRE(t.kernel.flows.size() == 1);
  CHECK(t.kernel.flows.begin()->second.own_relay);
}

TEST_CASE("channel offloader: the kernel's counts reach the allocation once, its end included") {
  Offloaded t;
  turn::Allocation* a = t.create();
  t.bind(*a, 0x4001, kPeer, 0);
  const std::uint32_t handle = t.kernel.flows.begin()->first;
  t.kernel.counts[handle] = {10, 1000, 4, 400};
  t.table.collect_offloaded();
  t.table.collect_offloaded();  // nothing new: nothing added
  CHECK(a->traffic.client_packets == 10);
  CHECK(a->traffic.client_bytes == 1000);
  CHECK(a->traffic.peer_packets == 4);
  CHECK(a->traffic.peer_bytes == 400);
  CHECK(t.stats.client_to_peer_packets == 10);
  CHECK(t.stats.peer_to_client_bytes == 400);
  CHECK(t.stats.offloaded_packets == 14);
  // What the kernel relayed between the last collect and the end is in the end hook's view.
  t.kernel.counts[handle] = {12, 1200, 5, 500};
  t.table.remove(*a, "deleted");
  CHECK(t.kernel.flows.empty());
  CHECK(t.at_end.client_packets == 12);
  CHECK(t.at_end.peer_bytes == 500);
  CHECK(t.stats.offloaded_packets == 17);
}

TEST_CASE("channel offloader: a full fast path leaves the channel in user space and tries again") {
  Offloaded t;
  t.kernel.full = true;
  turn::Allocation* a = t.create();
  t.bind(*a, 0x4001, kPeer, 0);
  CHECK(t.kernel.flows.empty());
  CHECK(t.stats.offload_install_failures >= 1);
  t.kernel.full = false;
  t.table.permit(*a, kPeer, 300'000, 1);  // the next change syncs again
  CHECK(t.kernel.flows.size() == 1);
}

TEST_CASE("channel offloader: a policy that refuses the peer ends channel, permission and flow") {
  Offloaded t;
  turn::Allocation* a = t.create();
  t.bind(*a, 0x4001, kPeer, 0);
  REQUIRE(t.kernel.flows.size() == 1);
  turn::Config c;
  c.denied_peer_ips = {*turn::AddressRange::parse("8.8.4.0-8.8.4.255")};
  const turn::PeerPolicy strict(c, {}, nullptr);
  CHECK(t.table.revoke_denied(strict, 1) == 2);  // the channel and the permission
  CHECK(t.kernel.flows.empty());
  CHECK(a->channels.empty());
  CHECK(a->permissions.empty());
  // A policy that allows it changes nothing.
  t.bind(*a, 0x4001, kPeer, 2);
  const turn::PeerPolicy lenient(turn::Config{}, {}, nullptr);
  CHECK(t.table.revoke_denied(lenient, 3) == 0);
  CHECK(t.kernel.flows.size() == 1);
}
