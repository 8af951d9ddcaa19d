// SourceRateTable (unit): per-source one-second windows, collisions share a budget.
#include "guard/source_rate_table.hpp"

#include <doctest/doctest.h>

namespace {

turn::SourceKey key(std::uint8_t a, std::uint8_t b) {
  return turn::SourceKey::of(stun::SocketAddress::v4({198, 51, a, b}, 0));
}

}  // namespace

TEST_CASE("source rate table: `limit` events per source per second") {
  turn::SourceRateTable t;
  const auto x = key(0, 1);
  int allowed = 0;
  int first_drops = 0;
  for (int i = 0; i < 25; ++i) {
    const auto v = t.consume(x, 10, 100);
    allowed += v.allowed ? 1 : 0;
    first_drops += v.first_drop ? 1 : 0;
  }
  CHECK(allowed == 10);
  CHECK(first_drops == 1);               // one log line per window, however long the flood
  CHECK(t.consume(x, 10, 101).allowed);  // the next second is a new window
  CHECK(t.occupied(101) == 1);
  CHECK(t.occupied(102) == 0);
  CHECK_FALSE(t.consume(x, 0, 200).allowed);  // a zero budget allows nothing
}

TEST_CASE("source rate table: sources sharing a bucket share its budget, counted") {
  turn::SourceRateTable t;
  const auto x = key(0, 1);
  // Find another source in x's bucket.
  turn::SourceKey y;
  for (std::uint32_t i = 2;; ++i) {
    y = key(static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i));
    if ((y.hash() & (turn::SourceRateTable::kBuckets - 1)) ==
        (x.hash() & (turn::SourceRateTable::kBuckets - 1)))
      break;
  }
  for (int i = 0; i < 5; ++i)
    CHECK(t.consume(x, 5, 7).allowed);
  CHECK_FALSE(t.consume(y, 5, 7).allowed);  // no fresh budget by colliding
  CHECK(t.collisions() == 1);
  // Distinct buckets are independent.
  CHECK(t.consume(key(9, 9), 5, 7).allowed);
}

TEST_CASE("source key: IPv6 sources by /64, IPv4-mapped as IPv4") {
  auto k = [](const char* text) {
    return turn::SourceKey::of(*stun::SocketAddress::parse_ip(text));
  };
  CHECK(k("2001:db8::1") == k("2001:db8::ffff:1"));
  CHECK_FALSE(k("2001:db8::1") == k("2001:db8:0:1::1"));
  CHECK(k("::ffff:192.0.2.1") == k("192.0.2.1"));
  CHECK_FALSE(k("192.0.2.1") == k("192.0.2.2"));
  CHECK_FALSE(k("0.0.0.1") == k("::1"));
}
