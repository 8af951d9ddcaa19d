// What one allocation, one user and one TCP allocation can hold, over real sockets (issue 12,
// defects 5 and 7): permissions and channels are capped (508, RFC 8656 §9.2/§11.2), RFC 6062
// peer connections too, an EVEN-PORT reservation ends with its allocation, user-quota counts
// the user behind TURN REST credentials, and CONNECTION-IDs are not guessable from each other.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <set>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/tcp_echo_peer.hpp"
#include "support/test_server.hpp"
#include "userdb/rest_api.hpp"

using namespace turntest;

namespace {

/// 8.0.0.n:5000, public addresses the default policy allows (nothing is sent to them).
stun::SocketAddress public_peer(unsigned n) {
  return stun::SocketAddress::v4({8, static_cast<std::uint8_t>(n >> 16),
                                  static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)},
                                 5000);
}

/// `count` consecutive ports, the first even, all free for UDP on 127.0.0.1 now.
std::uint16_t free_even_port_run(unsigned count) {
  for (std::uint32_t start = 63000; start + count < 65000; start += 2) {
    bool free = true;
    for (unsigned i = 0; i < count && free; ++i) {
      try {
        UdpSocket probe(loopback(static_cast<std::uint16_t>(start + i)));
      } catch (const std::exception&) {
        free = false;
      }
    }
    if (free)
      return static_cast<std::uint16_t>(start);
  }
  throw std::runtime_error("no run of free ports");
}

std::uint32_t connection_id_of(const Message& m) {
  auto id = m.view().get(stun::attr::kConnectionId);
  return id ? *id : 0;
}

}  // namespace

TEST_CASE("allocation bounds: at most 128 permissions per allocation by default, then 508") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  for (unsigned i = 0; i < 128; ++i)
    REQUIRE(c.create_permission({public_peer(i)}).is_success());
  // A new IP beyond the cap: 508, nothing installed (all or nothing, with a known peer).
  CHECK(c.create_permission({public_peer(200)}).error_code() == 508);
  CHECK(c.create_permission({public_peer(1), public_peer(201)}).error_code() == 508);
  CHECK(c.channel_bind(0x4000, public_peer(202)).error_code() == 508);
  // Refreshing the ones it has, and binding a channel to one of them, still work.
  CHECK(c.create_permission({public_peer(5), public_peer(6)}).is_success());
  CHECK(c.channel_bind(0x4000, public_peer(7)).is_success());
}

TEST_CASE("allocation bounds: max-allocation-permissions and max-allocation-channels") {
  auto config = test_config();
  config.max_allocation_permissions = 4;
  config.max_allocation_channels = 2;
  TestServer server(config);
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  CHECK(c.channel_bind(0x4000, public_peer(1)).is_success());
  CHECK(c.channel_bind(0x4001, public_peer(2)).is_success());
  CHECK(c.channel_bind(0x4002, public_peer(3)).error_code() == 508);  // channels full
  CHECK(c.channel_bind(0x4001, public_peer(2)).is_success());         // a refresh is fine
  CHECK(c.create_permission({public_peer(3), public_peer(4)}).is_success());
  CHECK(c.create_permission({public_peer(5)}).error_code() == 508);  // permissions full
  const auto t = server.totals();
  CHECK(t.channels_refused == 1);
  CHECK(t.permissions_refused == 1);
}

TEST_CASE("allocation bounds: EVEN-PORT reservations end with their allocation") {
  // A pool of 8 ports: with the reservation kept 30 s after Refresh 0, the fourth cycle would
  // find no free even/odd pair (508).
  const std::uint16_t base = free_even_port_run(8);
  auto config = test_config();
  config.min_port = base;
  config.max_port = static_cast<std::uint16_t>(base + 7);
  TestServer server(config);
  TurnClient c(server.address());
  for (int cycle = 0; cycle < 20; ++cycle) {
    CAPTURE(cycle);
    const Message r =
        c.allocate([](stun::MessageBuilder& b) { b.add(stun::attr::kEvenPort, true); });
    REQUIRE(r.is_success());
    CHECK(r.has(stun::AttrType::kReservationToken));
    REQUIRE(c.refresh(0).is_success());
  }
}

TEST_CASE("allocation bounds: user-quota counts the user of REST credentials, not each one") {
  auto config = test_config();
  config.users.clear();
  config.use_auth_secret = true;
  config.static_auth_secrets = {"north"};
  config.user_quota = 2;
  TestServer server(config);
  const auto now = static_cast<long long>(::time(nullptr));
  std::vector<std::unique_ptr<TurnClient>> clients;
  auto credential = [&](long long expiry, const std::string& user) {
    const std::string name = std::to_string(expiry) + ":" + user;
    return std::make_unique<TurnClient>(server.address(), name,
                                        turn::userdb::rest_password("north", name));
  };
  for (int i = 0; i < 2; ++i) {
    clients.push_back(credential(now + 3600 + i, "alice"));
    REQUIRE(clients.back()->allocate().is_success());
  }
  // A third credential minted for alice does not give her a third allocation...
  clients.push_back(credential(now + 3700, "alice"));
  CHECK(clients.back()->allocate().error_code() == 486);
  // ...while bob has his own quota, and alice gets one back when one of hers ends.
  clients.push_back(credential(now + 3600, "bob"));
  CHECK(clients.back()->allocate().is_success());
  REQUIRE(clients[0]->refresh(0).is_success());
  CHECK(clients[2]->allocate().is_success());
}

TEST_CASE("allocation bounds: max-tcp-peer-connections, for Connect and for incoming peers") {
  auto config = test_config();
  config.max_tcp_peer_connections = 3;
  TestServer server(config);
  auto c = stream_client(server, Transport::kTcp);
  const Message alloc = c->allocate_tcp();
  REQUIRE(alloc.is_success());
  std::vector<std::unique_ptr<TcpListenerPeer>> peers;
  for (int i = 0; i < 3; ++i) {
    peers.push_back(std::make_unique<TcpListenerPeer>());
    REQUIRE(c->connect_peer(peers.back()->address()).is_success());
  }
  peers.push_back(std::make_unique<TcpListenerPeer>());
  CHECK(c->connect_peer(peers.back()->address()).error_code() == 508);
  CHECK(server.totals().tcp_peer_connections_refused == 1);
  // An incoming peer beyond the cap is closed at once (its permission notwithstanding).
  const auto relay = *alloc.view().get(stun::attr::kXorRelayedAddress);
  REQUIRE(c->create_permission({loopback(1)}).is_success());
  auto incoming = StreamConnection::connect(relay);
  CHECK(incoming->closed_by_peer());
  CHECK(server.totals().tcp_peer_connections_refused == 2);
}

TEST_CASE("allocation bounds: 32 RFC 6062 peer connections by default, CONNECTION-IDs random") {
  TestServer server;
  auto c = stream_client(server, Transport::kTcp);
  REQUIRE(c->allocate_tcp().is_success());
  std::vector<std::unique_ptr<TcpListenerPeer>> peers;
  std::vector<std::uint32_t> ids;
  for (int i = 0; i < 32; ++i) {
    peers.push_back(std::make_unique<TcpListenerPeer>());
    const Message r = c->connect_peer(peers.back()->address());
    REQUIRE(r.is_success());
    ids.push_back(connection_id_of(r));
  }
  peers.push_back(std::make_unique<TcpListenerPeer>());
  CHECK(c->connect_peer(peers.back()->address()).error_code() == 508);
  // The ids share the worker's top byte; the rest comes from the CSPRNG, so one client's ids
  // say nothing about the next (a sequence would hand out its neighbours' ids).
  std::set<std::uint32_t> distinct(ids.begin(), ids.end());
  CHECK(distinct.size() == ids.size());
  int consecutive = 0;
  for (std::size_t i = 1; i < ids.size(); ++i) {
    CHECK((ids[i] >> 24) == (ids[0] >> 24));
    consecutive += ids[i] == ids[i - 1] + 1 ? 1 : 0;
  }
  CHECK(consecutive == 0);
}
