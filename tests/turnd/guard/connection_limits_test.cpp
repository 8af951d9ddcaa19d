// max-connections-per-source and max-connections over real sockets (issue 12, defect 6): one
// source cannot hold more than its share of TCP/TLS connections and DTLS sessions, the server
// not more than its total, and a freed slot can be used again.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_cert.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

stun::SocketAddress source(std::uint8_t last) {
  return stun::SocketAddress::v4({127, 0, 0, last}, 0);
}

/// A plain TCP connection from 127.0.0.`last` to `to`.
std::unique_ptr<StreamConnection> connect_from(std::uint8_t last, const stun::SocketAddress& to) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_storage ss;
  socklen_t len = source(last).to_sockaddr(ss);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
  len = to.to_sockaddr(ss);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
  return StreamConnection::adopt(fd);
}

/// True when a Binding request on `s` is answered (the server kept the connection).
bool served(StreamConnection& s) {
  const stun::TransactionId tid = random_tid();
  s.write(binding_request(tid));
  auto frame = s.next_frame();
  return frame && Message(*frame).is_success();
}

}  // namespace

TEST_CASE("connection limits: max-connections-per-source, per source, slots come back") {
  auto config = test_config();
  config.max_connections_per_source = 3;
  TestServer server(config);
  const auto at = stream_listener(server);
  std::vector<std::unique_ptr<StreamConnection>> mine;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(connect_from(2, at));
    CHECK(served(*mine.back()));
  }
  auto fourth = connect_from(2, at);
  CHECK(fourth->closed_by_peer());
  CHECK(server.totals().connections_refused == 1);
  // Another source is not affected.
  auto other = connect_from(3, at);
  CHECK(served(*other));
  // Closing one gives its slot back.
  mine.pop_back();
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.active_connections == 3; }));
  auto again = connect_from(2, at);
  CHECK(served(*again));
}

TEST_CASE("connection limits: max-connections in all") {
  auto config = test_config();
  config.max_connections = 2;
  TestServer server(config);
  const auto at = stream_listener(server);
  auto a = connect_from(2, at);
  auto b = connect_from(3, at);
  CHECK(served(*a));
  CHECK(served(*b));
  auto c = connect_from(4, at);
  CHECK(c->closed_by_peer());
  CHECK(server.totals().connections_refused == 1);
}

TEST_CASE("connection limits: DTLS sessions count like connections") {
  TestPki pki;
  auto config = test_config();
  config.cert = pki.write_bundle();
  config.dtls = true;
  config.max_connections_per_source = 1;
  TestServer server(config);
  TurnClient first(server.address(), "alice", "alice-pass", Transport::kDtls);
  REQUIRE(first.allocate().is_success());
  // The second session from 127.0.0.1 is refused after its cookie round: no handshake.
  TurnClientOptions o;
  o.transport = Transport::kDtls;
  o.connect_timeout = 1000ms;
  CHECK_THROWS(TurnClient(server.address(), "alice", "alice-pass", o));
  CHECK(server.totals().connections_refused >= 1);
  CHECK(server.totals().active_connections == 1);
  // A TCP connection from the same source is refused as well: one budget for both.
  auto tcp = StreamConnection::connect(stream_listener(server));
  CHECK(tcp->closed_by_peer());
}
