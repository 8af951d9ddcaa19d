// The admin API over real sockets (issue 15): HTTP on cli-ip:cli-port to an in-process turnd,
// with turnctl's own HTTP client. A wrong or missing password gets 401 and, repeated, 429 for
// the source; sessions show live traffic; ending a session while it relays stops its relay and
// frees its allocation while another client keeps relaying; config masks secrets; bans list and
// lift; drain and reload act as SIGUSR1 and SIGHUP do.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "admin_client.hpp"
#include "http_client.hpp"
#include "support/test_server.hpp"

using namespace turntest;
using nlohmann::json;

namespace {

constexpr const char* kPassword = "admin-secret";

turn::Config admin_config() {
  auto c = test_config();
  c.cli_password = kPassword;
  c.cli_ip = stun::SocketAddress::v4({127, 0, 0, 1}, 0);
  c.cli_port = 0;  // the kernel picks; AdminServer::port() tells
  return c;
}

turnctl::AdminEndpoint endpoint(TestServer& server, const std::string& password = kPassword) {
  REQUIRE(server.server().admin() != nullptr);
  return {stun::SocketAddress::v4({127, 0, 0, 1}, server.server().admin()->port()), password};
}

turnctl::AdminReply call(TestServer& server, const std::string& method, const std::string& path,
                         const std::string& password = kPassword) {
  return turnctl::admin_call(endpoint(server, password), method, path);
}

json session_of(TestServer& server, const std::string& client) {
  auto reply = call(server, "GET", "/v1/sessions");
  REQUIRE(reply.status == 200);
  for (const auto& s : reply.body["sessions"]) {
    if (s["client"] == client)
      return s;
  }
  return {};
}

/// alice relays `payload` to `peer` through a channel; true when the peer got it.
bool relays(TurnClient& c, UdpSocket& peer, std::uint16_t channel, std::uint8_t seed) {
  const auto payload = payload_of(100, seed);
  c.send_channel_data(channel, payload);
  auto got = peer.receive(std::chrono::milliseconds(500));
  return got && got->data == payload;
}

}  // namespace

TEST_CASE("admin API: off without cli-password, and with no-cli") {
  TestServer plain;
  CHECK(plain.server().admin() == nullptr);
  auto c = admin_config();
  c.no_cli = true;
  TestServer no_cli(c);
  CHECK(no_cli.server().admin() == nullptr);
}

TEST_CASE("admin API: a missing or wrong password is 401; five within a minute block the source") {
  TestServer server(admin_config());
  const auto at = endpoint(server).address;
  auto anonymous = turnctl::http_request(at, "GET", "/v1/sessions", {}, kReplyTimeout);
  CHECK(anonymous.status == 401);
  CHECK(anonymous.headers["www-authenticate"].find("Bearer") != std::string::npos);
  CHECK(anonymous.body.find("sessions") == std::string::npos);
  // Basic (curl -u) works as well as Bearer.
  auto basic = turnctl::http_request(at, "GET", "/v1/sessions",
                                     {"Authorization: Basic YWRtaW46YWRtaW4tc2VjcmV0"},  // admin:
                                     kReplyTimeout);
  CHECK(basic.status == 200);
  // The anonymous request was failure 1.
  for (unsigned i = 2; i < turn::AdminServer::kFailuresBeforeBlock; ++i)
    CHECK(call(server, "GET", "/v1/sessions", "guess").status == 401);
  // The fifth failure blocks: now even the right password waits out the block.
  CHECK(call(server, "GET", "/v1/sessions", "guess").status == 401);
  auto blocked =
      turnctl::http_request(at, "GET", "/v1/sessions",
                            {std::string("Authorization: Bearer ") + kPassword}, kReplyTimeout);
  CHECK(blocked.status == 429);
  CHECK(blocked.headers["retry-after"] == "60");
}

TEST_CASE("admin API: a coturn $5$ cli-password (turnadmin -P) is checked as the password") {
  auto c = admin_config();
  // turnadmin -P -p secret
  c.cli_password =
      "$5$e56d82d805def825$302a8f76c2471154f9f79d4ee6aaa598c8290afeb70520035bcdad1298398a33";
  TestServer server(c);
  CHECK(call(server, "GET", "/v1/bans", "secret").status == 200);
  CHECK(call(server, "GET", "/v1/bans", c.cli_password).status == 401);
}

TEST_CASE("admin API: sessions list live traffic; ending one stops its relay, not another's") {
  TestServer server(admin_config());
  UdpSocket peer;
  auto alice = server.client("alice", "alice-pass");
  auto bob = server.client("bob", "bob-pass");
  for (auto* c : {alice.get(), bob.get()}) {
    REQUIRE(c->allocate().is_success());
    REQUIRE(c->channel_bind(0x4000, peer.local()).is_success());
  }
  for (std::uint8_t i = 0; i < 3; ++i) {
    REQUIRE(relays(*alice, peer, 0x4000, i));
    REQUIRE(relays(*bob, peer, 0x4000, i));
  }

  json a = session_of(server, alice->local().to_string());
  REQUIRE(a.is_object());
  CHECK(a["user"] == "alice");
  CHECK(a["realm"] == kRealm);
  CHECK(a["transport"] == "UDP");
  CHECK(a["relay"][0] == alice->relay().to_string());
  CHECK(a["client_to_peer"]["packets"] == 3);
  CHECK(a["client_to_peer"]["bytes"] == 300);
  CHECK(a["permissions"][0] == "127.0.0.1");
  CHECK(a["channels"][0]["number"] == 0x4000);
  CHECK(a["channels"][0]["peer"] == peer.local().to_string());
  CHECK(a["lifetime_left_s"].get<int>() > 500);
  const std::string id = a["id"];
  auto one = call(server, "GET", "/v1/sessions/" + id);
  CHECK(one.status == 200);
  CHECK(one.body["id"] == id);
  auto only_bob = call(server, "GET", "/v1/sessions?user=bob");
  REQUIRE(only_bob.body["sessions"].size() == 1);
  CHECK(only_bob.body["sessions"][0]["user"] == "bob");

  auto ended = call(server, "DELETE", "/v1/sessions/" + id);
  CHECK(ended.status == 200);
  CHECK(ended.body["ended"] == 1);
  CHECK_FALSE(relays(*alice, peer, 0x4000, 7));    // alice's relay stopped
  CHECK(relays(*bob, peer, 0x4000, 8));            // bob's goes on
  CHECK(alice->refresh(600).error_code() == 437);  // its allocation is gone
  CHECK(server.totals().active_allocations == 1);
  CHECK(call(server, "DELETE", "/v1/sessions/" + id).status == 404);
  CHECK(call(server, "GET", "/v1/sessions/" + id).status == 404);
  CHECK(call(server, "DELETE", "/v1/sessions/not-an-id").status == 404);
  CHECK(call(server, "DELETE", "/v1/sessions").status == 400);

  // All of a user's: bob, with a second allocation.
  auto bob2 = server.client("bob", "bob-pass");
  REQUIRE(bob2->allocate().is_success());
  auto by_user = call(server, "DELETE", "/v1/sessions?user=bob");
  CHECK(by_user.body["ended"] == 2);
  CHECK_FALSE(relays(*bob, peer, 0x4000, 9));
  CHECK(call(server, "GET", "/v1/sessions").body["sessions"].empty());
}

TEST_CASE("admin API: ending a TCP session closes the client's connection") {
  TestServer server(admin_config());
  TurnClient alice(server.address(), "alice", "alice-pass", Transport::kTcp);
  REQUIRE(alice.allocate().is_success());
  CHECK(call(server, "DELETE", "/v1/sessions?user=alice").body["ended"] == 1);
  CHECK(alice.closed_by_server());
}

TEST_CASE("admin API: config masks secrets; reload, drain, unknown resources and methods") {
  TestServer server(admin_config());
  auto config = call(server, "GET", "/v1/config");
  REQUIRE(config.status == 200);
  const std::string text = config.body["config"];
  CHECK(text.find("cli-password=***") != std::string::npos);
  CHECK(text.find(kPassword) == std::string::npos);
  CHECK(text.find("alice-pass") == std::string::npos);
  CHECK(text.find("realm=" + std::string(kRealm)) != std::string::npos);

  CHECK(call(server, "POST", "/v1/reload").body["reloaded"] == true);
  CHECK(call(server, "GET", "/v1/reload").status == 405);
  CHECK(call(server, "GET", "/v1/nothing").status == 404);
  CHECK(call(server, "PUT", "/v1/sessions").status == 405);

  CHECK(call(server, "POST", "/v1/drain").body["draining"] == true);
  CHECK(server.server().draining());
}

TEST_CASE("admin API: bans are listed and lifted") {
  auto c = admin_config();
  c.auth_ban = true;
  c.auth_ban_maxretry = 3;
  c.auth_ban_findtime = 60;
  c.auth_ban_bantime = 300;
  TestServer server(c);
  TurnClientOptions from;
  from.local = stun::SocketAddress::v4({127, 0, 0, 9}, 0);
  TurnClient guesser(server.address(), "alice", "wrong", from);
  for (int i = 0; i < 3; ++i)
    guesser.allocate();
  const auto source = stun::SocketAddress::v4({127, 0, 0, 9}, 0);
  REQUIRE(eventually([&] { return server.server().banned(source); }));
  auto bans = call(server, "GET", "/v1/bans");
  REQUIRE(bans.body["bans"].size() == 1);
  CHECK(bans.body["bans"][0]["source"] == "127.0.0.9");
  CHECK(bans.body["bans"][0]["left_s"].get<int>() > 290);
  CHECK(call(server, "DELETE", "/v1/bans?source=127.0.0.8").status == 404);
  CHECK(call(server, "DELETE", "/v1/bans?source=127.0.0.9").status == 200);
  CHECK_FALSE(server.server().banned(source));
  CHECK(call(server, "GET", "/v1/bans").body["bans"].empty());
}
