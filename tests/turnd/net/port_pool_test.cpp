// Relay port pool (unit).
#include "net/port_pool.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

#include <set>

TEST_CASE("port pool: take() hands out every port of the range once") {
  turn::PortPool pool(40000, 40099);
  CHECK(pool.available() == 100);
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 100; ++i) {
    auto p = pool.take();
    REQUIRE(p);
    CHECK(*p >= 40000);
    CHECK(*p <= 40099);
    CHECK(seen.insert(*p).second);
  }
  CHECK_FALSE(pool.take());
  CHECK(pool.available() == 0);
  pool.put(40042);
  CHECK(pool.available() == 1);
  CHECK(pool.take() == std::optional<std::uint16_t>(40042));
}

TEST_CASE("port pool: put() ignores ports outside the range and ports already free") {
  turn::PortPool pool(40000, 40001);
  pool.put(39999);
  pool.put(40002);
  pool.put(40000);  // already free
  CHECK(pool.available() == 2);
}

TEST_CASE("port pool: a one-port range") {
  turn::PortPool pool(50000, 50000);
  CHECK(pool.take() == std::optional<std::uint16_t>(50000));
  CHECK_FALSE(pool.take());
  pool.put(50000);
  CHECK(pool.take() == std::optional<std::uint16_t>(50000));
}

TEST_CASE("port pool: draws are not sequential (CVE-2025-69217)") {
  turn::PortPool pool(40000, 49999);
  int sequential = 0;
  auto last = pool.take();
  for (int i = 0; i < 50; ++i) {
    auto p = pool.take();
    REQUIRE(p);
    if (*p == *last + 1)
      ++sequential;
    last = p;
  }
  CHECK(sequential < 5);
}

TEST_CASE("port pool: take_even() gives even ports, with R also takes port+1") {
  turn::PortPool pool(40000, 40009);
  auto even = pool.take_even(false);
  REQUIRE(even);
  CHECK(*even % 2 == 0);
  CHECK(pool.available() == 9);
  auto pair = pool.take_even(true);
  REQUIRE(pair);
  CHECK(*pair % 2 == 0);
  CHECK(*pair != *even);
  CHECK(pool.available() == 7);
  // The odd neighbour is out of the pool now: draining it never returns *pair + 1.
  while (auto p = pool.take())
    CHECK(*p != *pair + 1);
}

TEST_CASE("port pool: take_even(true) needs a free odd neighbour inside the range") {
  turn::PortPool pool(40000, 40000);  // 40001 is outside the range
  CHECK_FALSE(pool.take_even(true));
  CHECK(pool.take_even(false) == std::optional<std::uint16_t>(40000));
  turn::PortPool odd_only(40001, 40001);
  CHECK_FALSE(odd_only.take_even(false));
}

TEST_CASE("port pool: reservations are claimed once, before they expire") {
  turn::PortPool pool(40000, 40009);
  auto p = pool.take_even(true);
  REQUIRE(p);
  const auto next = static_cast<std::uint16_t>(*p + 1);
  const std::uint64_t token = pool.reserve(next, -1, 1000);
  CHECK(token != 0);
  CHECK_FALSE(pool.claim(token + 1, 900));
  auto claimed = pool.claim(token, 900);
  REQUIRE(claimed);
  CHECK(claimed->port == next);
  CHECK_FALSE(pool.claim(token, 900));  // consumed

  const std::uint64_t late = pool.reserve(next, -1, 1000);
  CHECK_FALSE(pool.claim(late, 1001));  // expired
}

TEST_CASE("port pool: expired reservations return their port to the pool") {
  turn::PortPool pool(40000, 40001);
  auto p = pool.take_even(true);
  REQUIRE(p);
  CHECK(pool.available() == 0);
  const std::uint64_t token = pool.reserve(40001, -1, 1000);
  pool.expire_reservations(999);
  CHECK(pool.available() == 0);
  pool.expire_reservations(1001);
  CHECK(pool.available() == 1);
  CHECK(pool.take() == std::optional<std::uint16_t>(40001));
  CHECK_FALSE(pool.claim(token, 1001));
}

TEST_CASE("port pool: a reservation owns its bound socket and closes it when it expires") {
  turn::PortPool pool(40000, 40001);
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  const std::uint64_t token = pool.reserve(40001, fd, 1000);
  CHECK(::fcntl(fd, F_GETFD) != -1);  // still open while reserved
  pool.expire_reservations(1001);
  errno = 0;
  CHECK(::fcntl(fd, F_GETFD) == -1);
  CHECK(errno == EBADF);
  CHECK_FALSE(pool.claim(token, 1001));
}
