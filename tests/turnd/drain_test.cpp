// SIGUSR1 drain (coturn 4.6.3+): new allocations are refused, existing ones keep working, and
// the server stops once no more than drain-min-allocations remain (rolling upgrades).
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include "support/test_server.hpp"

using namespace turntest;
using namespace std::chrono_literals;

TEST_CASE("drain: SIGUSR1 refuses new allocations and stops when the last one ends") {
  TestServer server;
  auto alice = server.client();
  REQUIRE(alice->allocate().is_success());
  UdpSocket peer;
  REQUIRE(alice->create_permission({peer.local()}).is_success());

  REQUIRE(::kill(::getpid(), SIGUSR1) == 0);
  REQUIRE(eventually([&] { return server.server().draining(); }));
  CHECK(server.client("bob", "bob-pass")->allocate().error_code() == 508);

  // The running allocation is served as before.
  CHECK(alice->refresh(600).is_success());
  const auto payload = payload_of(50, 3);
  alice->send_indication(peer.local(), payload);
  auto at_peer = peer.receive();
  REQUIRE(at_peer);
  CHECK(at_peer->data == payload);
  std::this_thread::sleep_for(1200ms);  // a drain check has run: one allocation is still there
  CHECK(server.server().running());

  CHECK(alice->refresh(0).is_success());
  CHECK(eventually([&] { return !server.server().running(); }, 3000ms));
}

TEST_CASE("drain: stops at once when no more than drain-min-allocations remain") {
  auto config = test_config();
  config.drain_min_allocations = 1;
  TestServer server(config);
  auto alice = server.client();
  REQUIRE(alice->allocate().is_success());
  server.server().drain();
  CHECK(eventually([&] { return !server.server().running(); }, 3000ms));
}
