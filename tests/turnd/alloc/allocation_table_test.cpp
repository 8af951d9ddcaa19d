// AllocationTable on its own: the leases, the indexes and the deadline heap, with a fake binder
// and a clock that is just a number.
#include "alloc/allocation_table.hpp"

#include <doctest/doctest.h>

#include "support/fake_context.hpp"

using namespace turntest;

namespace {

struct Table {
  FakeBinder binder;
  turn::QuotaTracker quota{0, 0};
  turn::BandwidthPool bandwidth;
  turn::WorkerStats stats;
  turn::AllocationTable table{binder, quota, bandwidth, stats};
  std::vector<std::string> ended;

  Table() {
    table.on_end(
        [this](turn::Allocation& a, const char* why) { ended.push_back(a.user + ":" + why); });
  }
  turn::Allocation* create(std::uint8_t last, std::uint32_t lifetime_s, std::uint64_t now) {
    turn::AllocationRequest r;
    r.relay_ip = stun::SocketAddress::v4({10, 0, 0, 1}, 0);
    r.user = "u" + std::to_string(last);
    r.quota_user = r.user;
    r.lifetime_s = lifetime_s;
    auto created =
        table.create({stun::SocketAddress::v4({192, 0, 2, last}, 1000), 0, 0}, std::move(r), now);
    return created.allocation;
  }
};

}  // namespace

TEST_CASE("allocation table: finds by 5-tuple; a dual allocation gives both relays back") {
  Table t;
  turn::Allocation* a = t.create(1, 600, 0);
  REQUIRE(a != nullptr);
  CHECK(t.table.find(a->key) == a);
  REQUIRE(t.table.add_second_relay(*a, stun::SocketAddress::v6({0x20, 0x01, 0x0d, 0xb8}, 0)));
  CHECK(a->dual());
  CHECK(a->relay_fd_for(stun::SocketAddress::v4({1, 2, 3, 4}, 5)) == a->relay_fd());
  CHECK(a->relay_fd_for(stun::SocketAddress::v6({0x20, 0x01, 0x0d, 0xb8, 0, 1}, 5)) ==
        a->secondary->fd);
  t.table.remove(*a, "deleted");
  CHECK(t.binder.released == 2);  // both relay sockets
  CHECK(t.ended == std::vector<std::string>{"u1:deleted"});
}

TEST_CASE("allocation table: the expiry heap holds one entry per live allocation") {
  Table t;
  // Allocate + Refresh 0 churn must leave nothing behind (an entry per ended allocation kept
  // until its lifetime passed would grow with the churn rate times the lifetime).
  for (int i = 0; i < 1000; ++i) {
    turn::Allocation* a = t.create(static_cast<std::uint8_t>(i % 200), 600, i);
    REQUIRE(a != nullptr);
    t.table.permit(*a, stun::SocketAddress::v4({8, 8, 8, 8}, 1), i + 300'000, i);
    t.table.remove(*a, "deleted");
  }
  CHECK(t.table.scheduled() == 0);
  for (std::uint8_t i = 1; i <= 50; ++i)
    t.create(i, 100 + i, 0);
  CHECK(t.table.scheduled() == 50);
  t.table.remove(*t.table.find({stun::SocketAddress::v4({192, 0, 2, 25}, 1000), 0, 0}), "x");
  CHECK(t.table.scheduled() == 49);
  t.table.expire(125'000);  // u1..u24 are due; u25 is gone already
  CHECK(t.table.size() == 25);
  CHECK(t.stats.allocations_expired.load() == 24);
  CHECK(t.table.scheduled() == 25);
}

TEST_CASE("allocation table: expiry ends what is due, in deadline order, and nothing else") {
  Table t;
  t.create(1, 300, 0);
  t.create(2, 100, 0);
  t.create(3, 200, 0);
  t.table.expire(99'999);
  CHECK(t.table.size() == 3);
  t.table.expire(200'000);
  CHECK(t.ended == std::vector<std::string>{"u2:expired", "u3:expired"});
  CHECK(t.stats.allocations_expired.load() == 2);
  t.table.expire(300'000);
  CHECK(t.table.empty());
  CHECK(t.stats.active_allocations.load() == 0);
}

TEST_CASE("allocation table: a failed bind takes nothing, quota and bandwidth included") {
  Table t;
  t.quota.set_limits(0, 1);  // total-quota 1
  t.binder.fail = true;
  turn::AllocationRequest r;
  r.max_bps = 500;
  r.bps_capacity = 500;
  auto created = t.table.create({stun::SocketAddress::v4({192, 0, 2, 1}, 1), 0, 0}, r, 0);
  CHECK(!created);
  CHECK(created.error == stun::ErrorCode::kInsufficientCapacity);
  CHECK(t.bandwidth.reserved() == 0);
  t.binder.fail = false;
  created = t.table.create({stun::SocketAddress::v4({192, 0, 2, 1}, 1), 0, 0}, r, 0);
  CHECK(created);
  created = t.table.create({stun::SocketAddress::v4({192, 0, 2, 2}, 1), 0, 0}, r, 0);
  CHECK(created.error == stun::ErrorCode::kAllocationQuotaReached);
}

TEST_CASE("allocation table: a removed allocation's stale heap entry never ends its successor") {
  Table t;
  turn::Allocation* a = t.create(1, 100, 0);
  const turn::ClientKey key = a->key;
  t.table.remove(*a, "deleted");
  turn::AllocationRequest r;
  r.relay_ip = stun::SocketAddress::v4({10, 0, 0, 1}, 0);
  r.user = "again";
  r.lifetime_s = 600;
  REQUIRE(t.table.create(key, r, 50'000));
  t.table.expire(100'000);  // the first allocation's deadline
  CHECK(t.table.find(key) != nullptr);
  t.table.expire(650'000);
  CHECK(t.table.find(key) == nullptr);
}
