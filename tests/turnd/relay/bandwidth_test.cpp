// max-bps (coturn): each allocation relays at most max-bps bytes a second in each direction,
// with one second's worth as a burst; the user db's realm option overrides the configuration.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>

#include "support/test_server.hpp"
#include "userdb/admin_store.hpp"

using namespace turntest;
using namespace std::chrono_literals;

namespace {

/// Sends `count` packets of `size` bytes back to back from the client over channel 0x4001 and
/// counts what reaches the peer.
int client_to_peer(TurnClient& c, UdpSocket& peer, int count, std::size_t size) {
  for (int i = 0; i < count; ++i)
    c.send_channel_data(0x4001, payload_of(size, 1));
  int received = 0;
  while (peer.receive(300ms))
    ++received;
  return received;
}

int peer_to_client(TurnClient& c, UdpSocket& peer, int count, std::size_t size) {
  for (int i = 0; i < count; ++i)
    peer.send_to(c.relay(), payload_of(size, 2));
  int received = 0;
  while (c.receive_relayed(300ms))
    ++received;
  return received;
}

}  // namespace

TEST_CASE("max-bps caps each direction of an allocation and refills over time") {
  auto config = test_config();
  config.max_bps = 10000;
  TestServer server(config);
  auto c = server.client();
  REQUIRE(c->allocate().is_success());
  UdpSocket peer;
  REQUIRE(c->channel_bind(0x4001, peer.local()).is_success());

  // 10 kB burst: about ten 1000-byte packets of sixty get through each way.
  const int out = client_to_peer(*c, peer, 60, 1000);
  CHECK(out >= 8);
  CHECK(out <= 14);
  const int in = peer_to_client(*c, peer, 60, 1000);
  CHECK(in >= 8);
  CHECK(in <= 14);
  CHECK(server.wait_for(
      [](const turn::ServerTotals& t) { return t.bandwidth_dropped_packets >= 90; }));

  // A second later the bucket is full again: a small burst passes whole.
  std::this_thread::sleep_for(1100ms);
  CHECK(client_to_peer(*c, peer, 5, 1000) == 5);
}

TEST_CASE("max-bps and user-quota from the user db's realm options") {
  char name[] = "/tmp/turnd-realmopts-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::remove(name);  // AdminStore creates a new SQLite db at a missing path
  {
    auto store = turn::userdb::AdminStore::open(name, /*write=*/true);
    const auto key = stun::long_term_key_md5("alice", kRealm, "alice-pass");
    store->set_user(kRealm, "alice", turn::to_hex(key));
    store->set_realm_option(kRealm, "max-bps", 5000);
    store->set_realm_option(kRealm, "user-quota", 1);
  }
  auto config = test_config();
  config.users.clear();
  config.userdb = name;
  config.max_bps = 1000000;  // the realm option wins
  {
    TestServer server(config);
    auto c = server.client();
    REQUIRE(c->allocate().is_success());
    CHECK(server.client()->allocate().error_code() == 486);  // user-quota 1

    UdpSocket peer;
    REQUIRE(c->channel_bind(0x4001, peer.local()).is_success());
    const int out = client_to_peer(*c, peer, 40, 1000);
    CHECK(out >= 3);
    CHECK(out <= 8);
  }
  std::remove(name);
}

TEST_CASE("bandwidth: bps-capacity admits allocations while their max-bps fits, 508 after") {
  auto config = test_config();
  config.max_bps = 1000;
  config.bps_capacity = 2500;  // room for two allocations of 1000 B/s
  TestServer server(config);
  auto a = server.client("alice", "alice-pass");
  auto b = server.client("bob", "bob-pass");
  auto c = server.client("alice", "alice-pass");
  REQUIRE(a->allocate().is_success());
  REQUIRE(b->allocate().is_success());
  CHECK(c->allocate().error_code() == 508);
  // Deleting one gives its share back.
  REQUIRE(a->refresh(0).is_success());
  CHECK(c->allocate().is_success());
  CHECK(server.totals().active_allocations == 2);
}
