// BanList and BanCache (unit): fail2ban's counting, which lines are written, bans and their end,
// IPv6 sources counted by /64, and the bound on tracked sources.
#include "guard/ban_list.hpp"

#include <doctest/doctest.h>

namespace {

stun::SocketAddress addr(const char* text, std::uint16_t port = 4000) {
  auto a = stun::SocketAddress::parse_ip(text);
  REQUIRE(a);
  a->port = port;
  return *a;
}

turn::BanPolicy policy(bool enabled, unsigned maxretry = 3) {
  return {enabled, maxretry, 60, 100, {}};
}

constexpr std::uint64_t kT = 1'800'000'000;

}  // namespace

TEST_CASE("ban list: maxretry failures within findtime ban; older ones do not count") {
  turn::BanList bans(policy(true));
  const auto x = addr("203.0.113.7");
  CHECK_FALSE(bans.record_failure(x, kT).banned);
  CHECK_FALSE(bans.record_failure(x, kT + 1).banned);
  // 61 s after the first two they are out of findtime: the count starts again from one.
  CHECK(bans.record_failure(x, kT + 61).recent == 1);
  CHECK_FALSE(bans.record_failure(x, kT + 62).banned);
  CHECK_FALSE(bans.banned(x, kT + 62));
  const auto f = bans.record_failure(x, kT + 63);
  CHECK(f.banned);
  CHECK(f.log);
  CHECK(f.recent == 3);
  CHECK(bans.banned(x, kT + 63));
  CHECK(bans.banned(addr("::ffff:203.0.113.7"), kT + 63));  // the same source, mapped
  CHECK_FALSE(bans.banned(addr("203.0.113.8"), kT + 63));
  CHECK(bans.any());
  CHECK(bans.banned_count() == 1);
  CHECK(bans.bans_total() == 1);
  // bantime later the ban ends, once.
  CHECK(bans.expire(kT + 162).empty());
  const auto ended = bans.expire(kT + 163);
  REQUIRE(ended.size() == 1);
  CHECK(ended[0] == "203.0.113.7");
  CHECK_FALSE(bans.any());
  CHECK_FALSE(bans.banned(x, kT + 163));
  // Counting starts afresh after a ban.
  CHECK_FALSE(bans.record_failure(x, kT + 164).banned);
}

TEST_CASE("ban list: with the ban off, the first maxretry lines are written, then one per 10 s") {
  turn::BanList bans(policy(false));
  const auto x = addr("203.0.113.7");
  int logged = 0;
  for (int i = 0; i < 50; ++i) {
    const auto f = bans.record_failure(x, kT + static_cast<std::uint64_t>(i / 10));
    CHECK_FALSE(f.banned);
    logged += f.log ? 1 : 0;
  }
  CHECK(logged == 3);  // seconds 0-4: the first three, then quiet until second 10
  const auto later = bans.record_failure(x, kT + 10);
  CHECK(later.log);
  CHECK(later.suppressed == 47);
  // Another source's lines are its own.
  CHECK(bans.record_failure(addr("198.51.100.1"), kT + 10).log);
}

TEST_CASE("ban list: an IPv6 source is its /64") {
  turn::BanList bans(policy(true, 2));
  bans.record_failure(addr("2001:db8:1:2::1"), kT);
  CHECK(bans.record_failure(addr("2001:db8:1:2:ffff::9"), kT).banned);
  CHECK(bans.banned(addr("2001:db8:1:2:aaaa::1"), kT));
  CHECK_FALSE(bans.banned(addr("2001:db8:1:3::1"), kT));
  CHECK(turn::BanList::shown(addr("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64");
}

TEST_CASE("ban list: ignored sources are counted and logged but never banned") {
  auto p = policy(true);
  p.ignore = {*turn::AddressRange::parse("10.0.0.0/8")};
  turn::BanList bans(p);
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(bans.record_failure(addr("10.1.2.3"), kT).banned);
  CHECK_FALSE(bans.any());
}

TEST_CASE("ban list: tracked sources are bounded; running bans are never forgotten") {
  turn::BanList bans(policy(true, 2));
  const auto banned = addr("192.0.2.1");
  bans.record_failure(banned, kT);
  REQUIRE(bans.record_failure(banned, kT).banned);
  for (std::uint32_t i = 0; i < turn::BanList::kMaxTracked + 1000; ++i) {
    const auto a =
        stun::SocketAddress::v4({100, static_cast<std::uint8_t>(i >> 16),
                                 static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)},
                                1);
    bans.record_failure(a, kT);
  }
  CHECK(bans.banned(banned, kT + 1));
  std::vector<std::pair<turn::SourceKey, std::uint64_t>> copy;
  bans.copy_bans(copy);
  CHECK(copy.size() == 1);
}

TEST_CASE("ban cache: follows the list's generation") {
  turn::BanList bans(policy(true, 1));
  turn::BanCache cache;
  const auto x = addr("203.0.113.7");
  CHECK_FALSE(cache.banned(bans, x, kT));
  bans.record_failure(x, kT);
  CHECK(cache.banned(bans, x, kT));
  CHECK_FALSE(cache.banned(bans, addr("203.0.113.8"), kT));
  CHECK_FALSE(cache.banned(bans, x, kT + 100));  // its time is up, even before expire() runs
  bans.expire(kT + 100);
  CHECK_FALSE(cache.banned(bans, x, kT + 1));
}
