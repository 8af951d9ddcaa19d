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

TEST_CASE("allocation table: finds by 5-tuple and by either relay address") {
  Table t;
  turn::Allocation* a = t.create(1, 600, 0);
  REQUIRE(a != nullptr);
  CHECK(t.table.find(a->key) == a);
  CHECK(t.table.find_by_relay(a->relay) == a);
  REQUIRE(t.table.add_second_relay(*a, stun::SocketAddress::v4({10, 0, 0, 2}, 0)));
  CHECK(a->dual());
  CHECK(t.table.find_by_relay(a->second_relay) == a);
  const stun::SocketAddress second = a->second_relay;
  t.table.remove(*a, "deleted");
  CHECK(t.table.find_by_relay(second) == nullptr);
  CHECK(t.binder.released == 2);  // both relay sockets
  CHECK(t.ended == std::vector<std::string>{"u1:deleted"});
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
