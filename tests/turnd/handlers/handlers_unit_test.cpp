// The request handlers against a fake context (tests/turnd/support/fake_context.hpp): no
// sockets, no sleeps, a clock the test moves. The same behaviour over real sockets is tested
// in the other files of this folder; these pin down the bookkeeping a wire test cannot see.
#include <doctest/doctest.h>

#include "support/fake_context.hpp"

using namespace turntest;

namespace {

turn::Config unit_config() {
  turn::Config c;
  c.realm = "unit.example";
  c.users = {{"alice", "alice-pass"}, {"bob", "bob-pass"}};
  c.unauthorized_ratelimit = false;
  c.request_ratelimit_rps = 0;
  c.auth_ban = false;
  return c;
}

turn::ClientKey client(std::uint8_t last, std::uint16_t port = 40000) {
  return {stun::SocketAddress::v4({192, 0, 2, last}, port), 0, 0};
}

const stun::SocketAddress kPeer = stun::SocketAddress::v4({93, 184, 216, 34}, 5000);

auto udp_transport = [](stun::MessageBuilder& b) {
  b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
};

/// A signed-in client: the first Allocate's 401 taught it the nonce.
struct Client {
  FakeContext& ctx;
  turn::ClientKey key;
  RequestBuilder requests;

  Client(FakeContext& c, turn::ClientKey k, const char* user = "alice",
         const char* password = "alice-pass")
      : ctx(c), key(k), requests(user, password, "unit.example") {
    auto challenge = ctx.receive(key, requests.build(stun::Method::kAllocate, udp_transport));
    REQUIRE(challenge);
    REQUIRE(error_code(*challenge) == 401);
    requests.learn(*challenge);
  }
  /// A request, and once more with the new nonce when the old one went stale (438, RFC 8489
  /// §9.2.4): the fake clock moves minutes in a step.
  template <typename Add>
  Sent send(stun::Method m, Add&& add) {
    auto answer = ctx.receive(key, requests.build(m, add));
    REQUIRE(answer);
    if (error_code(*answer) == 438) {
      requests.learn(*answer);
      answer = ctx.receive(key, requests.build(m, add));
      REQUIRE(answer);
    }
    return *answer;
  }
  Sent allocate() { return send(stun::Method::kAllocate, udp_transport); }
  Sent refresh(std::uint32_t lifetime) {
    return send(stun::Method::kRefresh,
                [&](stun::MessageBuilder& b) { b.add(stun::attr::kLifetime, lifetime); });
  }
  Sent permit(const stun::SocketAddress& peer) {
    return send(stun::Method::kCreatePermission,
                [&](stun::MessageBuilder& b) { b.add(stun::attr::kXorPeerAddress, peer); });
  }
  turn::Allocation* allocation() { return ctx.allocations().find(key); }
};

}  // namespace

TEST_CASE("handlers (fake context): an unsigned Allocate gets 401 with REALM and a NONCE") {
  FakeContext ctx(unit_config());
  RequestBuilder rb("alice", "alice-pass", "unit.example");
  auto answer = ctx.receive(client(1), rb.build(stun::Method::kAllocate, udp_transport));
  REQUIRE(answer);
  CHECK(error_code(*answer) == 401);
  const auto v = answer->view();
  REQUIRE(v.get(stun::attr::kErrorCode));
  CHECK(v.get(stun::attr::kErrorCode)->reason == "Unauthorized");
  CHECK(v.get(stun::attr::kRealm).value_or("") == "unit.example");
  CHECK(v.has(stun::AttrType::kNonce));
  CHECK(ctx.allocations().empty());
  CHECK(ctx.binder.opened == 0);
}

TEST_CASE("handlers (fake context): Allocate files the allocation with its leases") {
  FakeContext ctx(unit_config());
  Client c(ctx, client(1));
  const Sent ok = c.allocate();
  REQUIRE(error_code(ok) == 0);
  turn::Allocation* a = c.allocation();
  REQUIRE(a != nullptr);
  CHECK(a->user == "alice");
  CHECK(a->lifetime_s == 600);  // RFC 8656 §7.2 default
  CHECK(a->quota_slot.held());
  CHECK(a->relay_lease.held());
  CHECK(a->bandwidth.held());
  CHECK(ok.view().get(stun::attr::kXorRelayedAddress)->port == a->relay.port);
  CHECK(ctx.stats().allocations_created.load() == 1);
  CHECK(ctx.stats().active_allocations.load() == 1);
}

TEST_CASE("handlers (fake context): user-quota is given back by every way an allocation ends") {
  turn::Config config = unit_config();
  config.user_quota = 1;
  FakeContext ctx(config);
  Client first(ctx, client(1));
  Client second(ctx, client(2));
  REQUIRE(error_code(first.allocate()) == 0);
  const Sent refused = second.allocate();
  CHECK(error_code(refused) == 486);
  CHECK(refused.view().get(stun::attr::kErrorCode)->reason == "Allocation Quota Reached");
  CHECK(ctx.binder.opened == 1);  // the quota is checked before a socket is bound

  SUBCASE("Refresh 0") {
    REQUIRE(error_code(first.refresh(0)) == 0);
  }
  SUBCASE("expiry") {
    ctx.advance_s(601);
    ctx.expire();
    CHECK(ctx.stats().allocations_expired.load() == 1);
  }
  SUBCASE("shutdown") {
    ctx.allocations().remove_all("shutdown");
  }
  CHECK(first.allocation() == nullptr);
  CHECK(ctx.binder.released == 1);
  CHECK(error_code(second.allocate()) == 0);
}

TEST_CASE("handlers (fake context): no relay port means 508, and quota and bandwidth come back") {
  turn::Config config = unit_config();
  config.user_quota = 1;
  config.max_bps = 1000;
  config.bps_capacity = 1000;
  FakeContext ctx(config);
  ctx.shared().max_bps = 1000;
  Client c(ctx, client(1));
  ctx.binder.fail = true;
  const Sent refused = c.allocate();
  CHECK(error_code(refused) == 508);
  CHECK(refused.view().get(stun::attr::kErrorCode)->reason == "Insufficient Capacity");
  CHECK(ctx.shared().bandwidth.reserved() == 0);
  ctx.binder.fail = false;
  REQUIRE(error_code(c.allocate()) == 0);  // quota slot and bandwidth were not leaked
  CHECK(ctx.shared().bandwidth.reserved() == 1000);
  Client other(ctx, client(2), "bob", "bob-pass");
  CHECK(error_code(other.allocate()) == 508);  // bps-capacity is full now
  REQUIRE(error_code(c.refresh(0)) == 0);
  CHECK(ctx.shared().bandwidth.reserved() == 0);
  CHECK(error_code(other.allocate()) == 0);
}

TEST_CASE("handlers (fake context): EVEN-PORT R reservation ends with its allocation") {
  FakeContext ctx(unit_config());
  Client c(ctx, client(1));
  const Sent ok = c.send(stun::Method::kAllocate, [](stun::MessageBuilder& b) {
    b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
    b.add(stun::attr::kEvenPort, true);
  });
  REQUIRE(error_code(ok) == 0);
  CHECK(ok.view().has(stun::AttrType::kReservationToken));
  CHECK(ctx.binder.reservations == 1);
  REQUIRE(error_code(c.refresh(0)) == 0);
  CHECK(ctx.binder.cancelled == 1);
  CHECK(ctx.binder.released == 1);
}

TEST_CASE("handlers (fake context): lifetimes, permissions and channels expire on the clock") {
  FakeContext ctx(unit_config());
  Client c(ctx, client(1));
  REQUIRE(error_code(c.allocate()) == 0);
  REQUIRE(error_code(c.permit(kPeer)) == 0);
  turn::Allocation* a = c.allocation();
  REQUIRE(a != nullptr);
  CHECK(a->has_permission(kPeer, ctx.now_ms()));

  ctx.advance_s(299);
  ctx.expire();
  CHECK(a->permissions.size() == 1);
  ctx.advance_s(2);  // RFC 8656 §9: 300 s
  ctx.expire();
  CHECK(a->permissions.empty());
  CHECK(c.allocation() != nullptr);

  // Refresh shortens nothing below the default, but a refreshed allocation lives on.
  REQUIRE(error_code(c.refresh(600)) == 0);
  ctx.advance_s(599);
  ctx.expire();
  CHECK(c.allocation() != nullptr);
  ctx.advance_s(2);
  ctx.expire();
  CHECK(c.allocation() == nullptr);
  CHECK(ctx.stats().allocations_expired.load() == 1);
  CHECK(ctx.stats().active_allocations.load() == 0);
}

TEST_CASE("handlers (fake context): a lifetime shortened by Refresh is what expires it") {
  turn::Config config = unit_config();
  config.max_allocate_lifetime = 3600;
  FakeContext ctx(config);
  Client c(ctx, client(1));
  REQUIRE(error_code(c.send(stun::Method::kAllocate, [](stun::MessageBuilder& b) {
            b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
            b.add(stun::attr::kLifetime, 3600u);
          })) == 0);
  REQUIRE(c.allocation()->lifetime_s == 3600);
  REQUIRE(error_code(c.refresh(600)) == 0);
  ctx.advance_s(601);
  ctx.expire();
  CHECK(c.allocation() == nullptr);  // not 3600 s: the heap learnt the earlier deadline
}

TEST_CASE("handlers (fake context): refreshes do not grow the expiry heap") {
  FakeContext ctx(unit_config());
  Client c(ctx, client(1));
  REQUIRE(error_code(c.allocate()) == 0);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(error_code(c.refresh(600)) == 0);
    REQUIRE(error_code(c.permit(kPeer)) == 0);
  }
  CHECK(ctx.allocations().scheduled() == 1);
}

TEST_CASE("handlers (fake context): ChannelBind conflicts are 400, a full table is 508") {
  turn::Config config = unit_config();
  config.max_allocation_channels = 2;
  FakeContext ctx(config);
  Client c(ctx, client(1));
  REQUIRE(error_code(c.allocate()) == 0);
  auto bind = [&](std::uint16_t number, const stun::SocketAddress& peer) {
    return error_code(c.send(stun::Method::kChannelBind, [&](stun::MessageBuilder& b) {
      b.add(stun::attr::kChannelNumber, number);
      b.add(stun::attr::kXorPeerAddress, peer);
    }));
  };
  auto peer = [](std::uint16_t port) { return stun::SocketAddress::v4({93, 184, 216, 34}, port); };
  CHECK(bind(0x4000, peer(1)) == 0);
  CHECK(bind(0x4000, peer(1)) == 0);    // the same pair refreshes (RFC 8656 §11.3)
  CHECK(bind(0x4000, peer(2)) == 400);  // number bound to another peer
  CHECK(bind(0x4001, peer(1)) == 400);  // peer bound to another number
  CHECK(bind(0x4001, peer(2)) == 0);
  CHECK(bind(0x4002, peer(3)) == 508);
  CHECK(ctx.stats().channels_refused.load() == 1);
  CHECK(c.allocation()->channels.size() == 2);

  // The channel relays: ChannelData 0x4001 goes to peer(2) from the relay socket.
  const std::uint8_t data[] = {0x40, 0x01, 0x00, 0x03, 'a', 'b', 'c', 0};
  ctx.receive(c.key, data);
  REQUIRE(ctx.relayed.size() == 1);
  CHECK(ctx.relayed[0].to == peer(2));
  CHECK(ctx.relayed[0].fd == c.allocation()->relay_fd());
  CHECK(ctx.relayed[0].bytes == std::vector<std::uint8_t>{'a', 'b', 'c'});
}

TEST_CASE("handlers (fake context): another user's request on the 5-tuple is 441") {
  FakeContext ctx(unit_config());
  Client alice(ctx, client(1));
  REQUIRE(error_code(alice.allocate()) == 0);
  Client bob(ctx, client(1), "bob", "bob-pass");  // same 5-tuple, 401 first
  const Sent answer = bob.refresh(600);
  CHECK(error_code(answer) == 441);
  CHECK(answer.view().get(stun::attr::kErrorCode)->reason == "Wrong Credentials");
}
