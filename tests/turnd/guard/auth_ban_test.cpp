// The built-in brute-force ban and the auth-failure log lines, over real sockets (issue 12,
// defects 2 and 3, and the ban): only failures of a source that received our nonce count and
// are logged, a flood from one source cannot hide another's lines, maxretry failures within
// findtime ban the source for bantime (no answer on any transport), an ignored source is never
// banned, and the ban's settings change on reload.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "support/log_capture.hpp"
#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

stun::SocketAddress source(std::uint8_t last) {
  return stun::SocketAddress::v4({127, 0, 0, last}, 0);
}

TurnClientOptions from(std::uint8_t last) {
  TurnClientOptions o;
  o.local = source(last);
  return o;
}

void requested_udp(stun::MessageBuilder& b) {
  b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
}

/// An Allocate carrying only a MESSAGE-INTEGRITY (no USERNAME, REALM or NONCE), as anyone can
/// send with a forged source address.
std::vector<std::uint8_t> forged_allocate() {
  std::vector<std::uint8_t> buf(256);
  stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kAllocate, stun::Class::kRequest),
                         random_tid());
  requested_udp(b);
  const std::uint8_t key[16] = {1, 2, 3};
  b.add_integrity_sha1(stun::Bytes(key, sizeof(key)));
  auto out = b.finish();
  REQUIRE(out);
  return {out->begin(), out->end()};
}

/// A client of `server` from 127.0.0.`last` whose password is wrong: each allocate() is one
/// authentication failure of a verified source (it holds the nonce it was given).
std::unique_ptr<TurnClient> bad_client(TestServer& server, std::uint8_t last) {
  return std::make_unique<TurnClient>(server.address(), "alice", "wrong", from(last));
}

/// `n` failures sent back to back without waiting for the answers (a brute-forcer's rate).
void flood_failures(TestServer& server, TurnClient& c, int n) {
  REQUIRE(c.allocate().error_code() == 401);  // learns REALM and NONCE
  for (int i = 0; i < n; ++i)
    c.socket().send_to(server.address(),
                       c.build(stun::Method::kAllocate, requested_udp, {}, random_tid()));
}

/// test_config() with the ban on and its thresholds.
turn::Config ban_config(unsigned maxretry, unsigned bantime_s) {
  auto c = test_config();
  c.auth_ban = true;
  c.auth_ban_maxretry = maxretry;
  c.auth_ban_findtime = 60;
  c.auth_ban_bantime = bantime_s;
  return c;
}

/// A TCP connection from `from` to `to`; true when the server closes it at once.
bool tcp_closed_at_once(const stun::SocketAddress& from_ip, const stun::SocketAddress& to) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_storage ss;
  socklen_t len = from_ip.to_sockaddr(ss);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
  len = to.to_sockaddr(ss);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
  auto stream = StreamConnection::adopt(fd);
  return stream->closed_by_peer(kReplyTimeout);
}

}  // namespace

TEST_CASE("auth ban: forged credentials without our nonce are not logged as failures") {
  TestServer server;  // the ban is off in test_config(): this is about the log line
  LogCapture log;
  UdpSocket attacker(source(2));
  for (int i = 0; i < 20; ++i) {
    attacker.send_to(server.address(), forged_allocate());
    auto answer = attacker.receive();
    REQUIRE(answer);
    CHECK(Message(answer->data).error_code() == 400);
  }
  // A spoofed source cannot have seen our nonce: nothing fail2ban would count.
  CHECK(log.count("auth failure from") == 0);
  CHECK(server.totals().auth_failures == 0);
}

TEST_CASE("auth ban: a forged flood bans nobody, even with the ban on") {
  TestServer server(ban_config(3, 300));
  UdpSocket attacker(source(2));
  for (int i = 0; i < 20; ++i)
    attacker.send_to(server.address(), forged_allocate());
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.auth_unverified == 20; }));
  CHECK_FALSE(server.server().banned(source(2)));
  TurnClient victim(server.address(), "alice", "alice-pass", from(2));
  CHECK(victim.allocate().is_success());
}

TEST_CASE("auth ban: one source's flood of failures does not hide another's lines") {
  TestServer server;  // ban off: the flooding source keeps failing, its lines are limited
  LogCapture log(turn::log::Level::kWarning);
  auto flooder = bad_client(server, 2);
  auto other = bad_client(server, 3);
  flood_failures(server, *flooder, 200);
  for (int i = 0; i < 3; ++i)
    CHECK(other->allocate().error_code() == 401);
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.auth_failures == 204; }));
  // The other source's three lines are all there; the flood kept its first maxretry (10) lines
  // and then one per 10 s.
  CHECK(log.count("auth failure from 127.0.0.3 ") == 3);
  const auto flooded = log.count("auth failure from 127.0.0.2 ");
  CHECK(flooded >= 10);
  CHECK(flooded <= 12);
}

TEST_CASE("auth ban: maxretry failures ban the source for bantime, on every transport") {
  TestServer server(ban_config(3, 5));
  LogCapture log(turn::log::Level::kWarning);
  auto bad = bad_client(server, 2);
  for (int i = 0; i < 3; ++i)
    CHECK(bad->allocate().error_code() == 401);
  CHECK(server.server().banned(source(2)));
  CHECK(tcp_closed_at_once(source(2), stream_listener(server)));
  // Other sources are served.
  TurnClient other(server.address(), "alice", "alice-pass", from(4));
  CHECK(other.allocate().is_success());
  // No answer at all for the banned one, even with the right password (fail2ban bans the
  // address, not the user).
  TurnClient right(server.address(), "alice", "alice-pass", from(2));
  CHECK_THROWS_AS(right.allocate(), std::runtime_error);
  const auto t = server.totals();
  CHECK(t.banned_sources == 1);
  CHECK(t.bans == 1);
  CHECK(t.banned_packets >= 1);
  CHECK(log.count("auth failure from 127.0.0.2 ") == 3);
  CHECK(log.count("auth ban: 127.0.0.2 banned for 5 s after 3 authentication failures") == 1);
  // bantime later the ban is lifted (and logged once).
  CHECK(eventually([&] { return !server.server().banned(source(2)); }, 6000ms));
  CHECK(eventually([&] { return log.count("auth ban: 127.0.0.2 unbanned") == 1; }, 2000ms));
  TurnClient back(server.address(), "alice", "alice-pass", from(2));
  CHECK(back.allocate().is_success());
  CHECK(server.totals().banned_sources == 0);
}

TEST_CASE("auth ban: the line that starts a ban is written, however fast the failures come") {
  TestServer server(ban_config(10, 300));
  LogCapture log(turn::log::Level::kWarning);
  auto bad = bad_client(server, 2);
  flood_failures(server, *bad, 200);
  REQUIRE(eventually([&] { return log.count("auth ban: 127.0.0.2 banned") == 1; }));
  // Ten failures (allocate()'s retry and nine of the flood) are what fail2ban needs; after the
  // tenth nothing more from that source is read.
  CHECK(log.count("auth failure from 127.0.0.2 ") == 10);
  CHECK(server.totals().auth_failures == 10);
}

TEST_CASE("auth ban: auth-ban-ignoreip sources are never banned") {
  auto config = ban_config(3, 300);
  config.auth_ban_ignoreip = {*turn::AddressRange::parse("127.0.0.0/30")};
  TestServer server(config);
  LogCapture log(turn::log::Level::kWarning);
  auto bad = bad_client(server, 2);
  for (int i = 0; i < 6; ++i)
    CHECK(bad->allocate().error_code() == 401);
  CHECK_FALSE(server.server().banned(source(2)));
  // Still logged (fail2ban users may have their own ignoreip): the first maxretry lines.
  CHECK(log.count("auth failure from 127.0.0.2 ") == 3);
  auto outside = bad_client(server, 5);
  for (int i = 0; i < 3; ++i)
    CHECK(outside->allocate().error_code() == 401);
  CHECK(server.server().banned(source(5)));
}

TEST_CASE("auth ban: turned on and tuned by a reload") {
  auto config = test_config();  // ban off
  config.auth_ban_maxretry = 3;
  TestServer server(config);
  auto next = config;
  next.auth_ban = true;
  next.auth_ban_maxretry = 2;
  server.server().set_config_loader([next] { return next; });
  auto bad = bad_client(server, 2);
  for (int i = 0; i < 3; ++i)
    CHECK(bad->allocate().error_code() == 401);
  CHECK_FALSE(server.server().banned(source(2)));
  REQUIRE(server.server().reload());
  // The failures before the reload still count within findtime (as fail2ban's log would):
  // the next one bans.
  CHECK(bad->allocate().error_code() == 401);
  CHECK(server.server().banned(source(2)));
}
