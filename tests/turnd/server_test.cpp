// turn::Server as a whole: start, stop, several workers, listener errors.
#include "server.hpp"

#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "support/printers.hpp"
#include "support/test_server.hpp"

using namespace turntest;

TEST_CASE("server: starts on a kernel-chosen port, answers, stops cleanly") {
  for (int round = 0; round < 3; ++round) {
    auto config = test_config();
    turn::Server server(config);
    REQUIRE(server.listeners().size() == 1);
    const stun::SocketAddress address = server.listeners()[0];
    CHECK(address.same_ip(loopback()));
    CHECK(address.port != 0);
    CHECK(server.worker_count() == 1);
    int exit_code = -1;
    std::thread runner([&] { exit_code = server.run(); });
    {
      TurnClient c(address);
      const Message r = c.request(stun::Method::kBinding, {}, no_auth());
      CHECK(r.is_success());
      REQUIRE(c.allocate().is_success());  // an allocation still open at stop time
    }
    server.stop();
    runner.join();
    CHECK(exit_code == 0);
    CHECK(server.totals().allocations_created == 1);
    CHECK(server.totals().active_allocations == 0);  // closed at shutdown
  }
}

TEST_CASE("server: stop() before run() returns promptly") {
  turn::Server server(test_config());
  server.stop();
  std::thread runner([&] { server.run(); });
  runner.join();
  CHECK(server.totals().allocations_created == 0);
}

TEST_CASE("server: a server destroyed without ever running leaves libuv's signal table clean") {
  // Its SIGTERM/SIGINT/SIGHUP handles live in libuv's process-wide signal table: destroying the
  // Server must unregister them, or the next server's stop touches freed memory.
  for (int i = 0; i < 3; ++i) {
    turn::Server idle(test_config());
    CHECK(idle.listeners().size() == 1);
  }
  TestServer server;
  TurnClient c(server.address());
  CHECK(c.request(stun::Method::kBinding, {}, no_auth()).is_success());
}

TEST_CASE("server: after stop the port is released and nothing answers") {
  stun::SocketAddress address;
  {
    TestServer server;
    address = server.address();
    TurnClient c(address);
    CHECK(c.request(stun::Method::kBinding, {}, no_auth()).is_success());
  }
  UdpSocket sock;
  std::uint8_t binding[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
  sock.send_to(address, stun::Bytes(binding, sizeof(binding)));
  CHECK_FALSE(sock.receive(kSilenceTimeout));
  CHECK_NOTHROW(UdpSocket{address});  // the port can be bound again
}

TEST_CASE("server: a listening port in use is an exception naming the address") {
  UdpSocket holder;  // bound without SO_REUSEPORT
  auto config = test_config();
  config.listening_port = holder.local().port;
  try {
    turn::Server server(config);
    FAIL("the server started on a busy port");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(holder.local().to_string()) != std::string::npos);
  }
}

TEST_CASE("server: a second server on a running server's port is refused") {
  TestServer first;
  auto config = test_config();
  config.listening_port = first.address().port;
  CHECK_THROWS_AS(turn::Server{config}, std::runtime_error);
  // The first one is unaffected.
  TurnClient c(first.address());
  CHECK(c.request(stun::Method::kBinding, {}, no_auth()).is_success());
}

TEST_CASE("server: a listening address that is not local is an exception") {
  auto config = test_config();
  config.listening_ips = {*stun::SocketAddress::parse_ip("192.0.2.1")};
  CHECK_THROWS_AS(turn::Server{config}, std::runtime_error);
}

TEST_CASE("server: several workers serve many clients, each relaying") {
  auto config = test_config();
  config.relay_threads = 2;
  TestServer server(config);
  CHECK(server.server().worker_count() == 2);
  constexpr int kClients = 20;
  std::vector<std::unique_ptr<TurnClient>> clients;
  std::vector<std::unique_ptr<UdpSocket>> peers;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(server.client(i % 2 ? "alice" : "bob", i % 2 ? "alice-pass" : "bob-pass"));
    peers.push_back(std::make_unique<UdpSocket>());
  }
  for (int i = 0; i < kClients; ++i) {
    CAPTURE(i);
    auto& c = *clients[static_cast<std::size_t>(i)];
    auto& peer = *peers[static_cast<std::size_t>(i)];
    REQUIRE(c.allocate().is_success());
    REQUIRE(c.channel_bind(static_cast<std::uint16_t>(0x4000 + i), peer.local()).is_success());
  }
  CHECK(server.totals().active_allocations == kClients);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kClients; ++i) {
      CAPTURE(i);
      auto& c = *clients[static_cast<std::size_t>(i)];
      auto& peer = *peers[static_cast<std::size_t>(i)];
      const auto out = payload_of(20 + static_cast<std::size_t>(i), static_cast<std::uint8_t>(i));
      c.send_channel_data(static_cast<std::uint16_t>(0x4000 + i), out);
      auto at_peer = peer.receive();
      REQUIRE(at_peer);
      CHECK(at_peer->data == out);
      CHECK(at_peer->from == c.relay());
      const auto back =
          payload_of(30 + static_cast<std::size_t>(i), static_cast<std::uint8_t>(round));
      peer.send_to(c.relay(), back);
      auto at_client = c.receive_relayed();
      REQUIRE(at_client);
      CHECK(at_client->channel);
      CHECK(at_client->number == 0x4000 + i);
      CHECK(at_client->data == back);
    }
  }
  // The counters are bumped right after each send: give the last one a moment.
  CHECK(server.wait_for([](const turn::ServerTotals& t) {
    return t.client_to_peer_packets == 5 * kClients && t.peer_to_client_packets == 5 * kClients;
  }));
  CHECK(server.totals().allocations_created == kClients);
  // All relay ports are distinct (one pool shared by the workers).
  std::set<std::uint16_t> ports;
  for (const auto& c : clients)
    ports.insert(c->relay().port);
  CHECK(ports.size() == kClients);
}

TEST_CASE("server: several listening addresses each answer with their own address") {
  auto config = test_config();
  config.listening_ips = {loopback(), *stun::SocketAddress::parse_ip("127.0.0.2")};
  config.relay_threads = 2;
  TestServer server(config);
  const auto& listeners = server.server().listeners();
  REQUIRE(listeners.size() == 2);
  for (const auto& l : listeners) {
    CAPTURE(l);
    TurnClient c(l);
    REQUIRE(c.allocate().is_success());
    CHECK(c.relay().same_ip(l));  // the relay address is the address the request reached
  }
}
