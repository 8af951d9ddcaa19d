// Refresh over the wire (RFC 8656 §8), and allocation expiry.
#include <doctest/doctest.h>

#include <thread>

#include "support/printers.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

bool port_is_free(const stun::SocketAddress& a) {
  try {
    UdpSocket probe(a);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TEST_CASE("refresh: LIFETIME 0 deletes the allocation at once and frees its port") {
  auto config = test_config();
  {
    UdpSocket probe;
    config.min_port = config.max_port = probe.local().port;  // a one-port relay range
  }
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  const stun::SocketAddress relay = c.relay();
  CHECK_FALSE(port_is_free(relay));

  const Message deleted = c.refresh(0);
  REQUIRE(deleted.is_success());
  CHECK(deleted.view().get(stun::attr::kLifetime).value_or(99) == 0);
  CHECK(c.verify(deleted));
  CHECK(server.totals().allocations_deleted == 1);
  CHECK(server.totals().active_allocations == 0);

  // Gone: a further Refresh is an allocation mismatch.
  CHECK(c.refresh(600).error_code() == 437);
  CHECK(c.refresh(0).error_code() == 437);

  // The single relay port went back to the pool: another client gets it.
  TurnClient other(server.address());
  const Message again = other.allocate();
  REQUIRE(again.is_success());
  CHECK(other.relay() == relay);
}

TEST_CASE("refresh: without an allocation is 437") {
  TestServer server;
  TurnClient c(server.address());
  const Message r = c.refresh(600);
  CHECK(r.error_code() == 437);
  CHECK(c.verify(r));
}

TEST_CASE("refresh: LIFETIME is negotiated like Allocate's") {
  auto config = test_config();
  config.max_allocate_lifetime = 1200;
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  auto lifetime = [&](std::optional<std::uint32_t> ask) {
    const Message r = c.refresh(ask);
    REQUIRE(r.is_success());
    return r.view().get(stun::attr::kLifetime).value_or(0);
  };
  CHECK(lifetime(std::nullopt) == 600);
  CHECK(lifetime(5000) == 1200);
  CHECK(lifetime(700) == 700);
}

TEST_CASE("refresh: a REQUESTED-ADDRESS-FAMILY other than the allocation's is 443") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  const Message r = c.request(stun::Method::kRefresh, [](stun::MessageBuilder& b) {
    b.add(stun::attr::kRequestedAddressFamily, stun::kFamilyIpv6);
  });
  CHECK(r.error_code() == 443);
  CHECK(c.refresh(600).is_success());
}

TEST_CASE("refresh: extends an allocation past its first lifetime") {
  auto config = test_config();
  config.max_allocate_lifetime = 2;
  TestServer server(config);
  TurnClient c(server.address());
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  REQUIRE(r.view().get(stun::attr::kLifetime).value_or(0) == 2);
  std::this_thread::sleep_for(1200ms);
  const Message extended = c.refresh(600);
  REQUIRE(extended.is_success());
  CHECK(extended.view().get(stun::attr::kLifetime).value_or(0) == 2);  // capped
  // 2.5 s after the Allocate: past the first lifetime (2 s + a 250 ms sweep), within the second.
  std::this_thread::sleep_for(1300ms);
  CHECK(server.totals().allocations_expired == 0);
  CHECK(server.totals().active_allocations == 1);
  CHECK(c.refresh(600).is_success());
}

TEST_CASE("refresh: an allocation that is not refreshed expires") {
  auto config = test_config();
  config.max_allocate_lifetime = 1;
  TestServer server(config);
  TurnClient c(server.address());
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  CHECK(r.view().get(stun::attr::kLifetime).value_or(0) == 1);
  const stun::SocketAddress relay = c.relay();
  CHECK(server.totals().active_allocations == 1);

  // The sweep counts the expiry before it removes the allocation (and updates the gauge): wait
  // for both, not for the first and then read the second once.
  CHECK(server.wait_for(
      [](const turn::ServerTotals& t) {
        return t.allocations_expired == 1 && t.active_allocations == 0;
      },
      3000ms));
  CHECK(server.totals().allocations_deleted == 0);
  CHECK(c.refresh(600).error_code() == 437);
  // Its relay socket is closed.
  CHECK(eventually([&] { return port_is_free(relay); }, 1000ms));
  // And the 5-tuple can allocate again.
  CHECK(c.allocate().is_success());
}
