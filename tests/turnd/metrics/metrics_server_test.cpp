// The Prometheus exporter over real sockets: coturn's metric names, served over HTTP by a running
// server, after real relayed traffic.
#include "metrics/metrics_server.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

/// A TCP socket on 127.0.0.1 (bound to `port`, 0 = any); -1 on failure.
int tcp_socket(std::uint16_t port = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
    return fd;
  if (fd >= 0)
    ::close(fd);
  return -1;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

/// A port nothing listens on right now (bound to port 0, then closed).
std::uint16_t free_port() {
  const int fd = tcp_socket();
  REQUIRE(fd >= 0);
  const std::uint16_t port = bound_port(fd);
  ::close(fd);
  return port;
}

turn::Config metrics_config(std::uint16_t port, bool username_labels = false) {
  turn::Config c = test_config();
  c.prometheus = true;
  c.prometheus_address = stun::SocketAddress::v4({127, 0, 0, 1}, 0);
  c.prometheus_port = port;
  c.prometheus_username_labels = username_labels;
  return c;
}

struct HttpResponse {
  int status = 0;
  std::string body;
};

/// GET `path` over HTTP/1.0 from 127.0.0.1:port, read to EOF.
HttpResponse http_get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  HttpResponse r;
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  const auto space = raw.find(' ');
  if (raw.rfind("HTTP/", 0) == 0 && space != std::string::npos)
    r.status = std::stoi(raw.substr(space + 1, 3));
  const auto end = raw.find("\r\n\r\n");
  if (end != std::string::npos)
    r.body = raw.substr(end + 4);
  return r;
}

/// The value of the sample `name_and_labels` (e.g. `x{a="b"}`) in a text exposition.
std::optional<double> sample(const std::string& body, const std::string& name_and_labels) {
  const std::string key = "\n" + name_and_labels + " ";
  const auto at = ("\n" + body).find(key);
  if (at == std::string::npos)
    return std::nullopt;
  return std::stod(body.substr(at + key.size() - 1));
}

/// Allocates, binds a channel, relays `out` ChannelData of `size` bytes to the peer and `back`
/// datagrams from the peer.
void relay_some(TurnClient& c, UdpSocket& peer, int out, int back, std::size_t size) {
  REQUIRE(c.allocate().is_success());
  REQUIRE(c.channel_bind(0x4000, peer.local()).is_success());
  for (int i = 0; i < out; ++i) {
    c.send_channel_data(0x4000, payload_of(size, 1));
    REQUIRE(peer.receive());
  }
  for (int i = 0; i < back; ++i) {
    peer.send_to(c.relay(), payload_of(size, 2));
    REQUIRE(c.receive_relayed());
  }
}

}  // namespace

TEST_CASE("metrics: coturn's names over HTTP after UDP relay traffic, session totals at its end") {
  const std::uint16_t port = free_port();
  TestServer server(metrics_config(port));
  REQUIRE(server.server().metrics() != nullptr);
  CHECK(server.server().metrics()->port() == port);
  CHECK(server.server().metrics()->url() ==
        "http://127.0.0.1:" + std::to_string(port) + "/metrics");

  TurnClient c(server.address());
  UdpSocket peer;
  relay_some(c, peer, 3, 2, 100);
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) {
    return t.client_to_peer_packets == 3 && t.peer_to_client_packets == 2;
  }));

  auto r = http_get(port, "/metrics");
  CHECK(r.status == 200);
  CHECK(sample(r.body, R"(turn_total_allocations{type="UDP"})") == 1);
  CHECK(sample(r.body, R"(turn_total_allocations{type="TCP"})") == 0);
  CHECK(sample(r.body, R"(turn_total_allocations{type="TLS/TCP"})") == 0);
  CHECK(sample(r.body, R"(turn_total_allocations{type="DTLS"})") == 0);
  CHECK(sample(r.body, "turn_total_traffic_rcvp") == 3);
  CHECK(sample(r.body, "turn_total_traffic_rcvb") == 300);
  CHECK(sample(r.body, "turn_total_traffic_sentp") == 2);
  CHECK(sample(r.body, "turn_total_traffic_sentb") == 200);
  CHECK(sample(r.body, "turn_total_traffic_peer_rcvp") == 2);
  CHECK(sample(r.body, "turn_total_traffic_peer_sentp") == 3);
  CHECK(sample(r.body, "turn_total_traffic_peer_sentb") == 300);
  // The session has not ended: coturn's per-session counters are still 0.
  CHECK(sample(r.body, R"(turn_traffic_rcvp{realm="turnd.test"})") == 0);
  CHECK(sample(r.body, "turnd_allocations_created_total") == 1);
  CHECK(sample(r.body, "turnd_active_allocations") == 1);
  CHECK(sample(r.body, "turnd_workers") == 1);
  // What crossed turnd's own sockets: with the kernel fast path on (TURND_TEST_KERNEL_OFFLOAD),
  // the bound channel's packets did not, and the kernel's count has them instead.
  const double by_kernel = sample(r.body, "turnd_offloaded_packets_total").value_or(-1);
  REQUIRE(by_kernel >= 0);
  CHECK(*sample(r.body, "turn_udp_recvmmsg_packets") + by_kernel >= 5);
  CHECK(*sample(r.body, "turn_udp_sendmmsg_datagrams") + by_kernel >= 3);
  CHECK(sample(r.body, "stun_binding_request") == 0);
  CHECK(sample(r.body, "stun_binding_response") == 0);
  CHECK(sample(r.body, "stun_binding_error") == 0);
  CHECK(r.body.find("# TYPE turn_total_traffic_rcvp counter") != std::string::npos);
  CHECK(r.body.find("# TYPE turn_total_allocations gauge") != std::string::npos);
  // Counters with a coturn name are not served twice.
  CHECK(r.body.find("turnd_client_to_peer_packets_total") == std::string::npos);

  REQUIRE(c.refresh(0).is_success());
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.active_allocations == 0; }));
  r = http_get(port, "/metrics");
  CHECK(r.status == 200);
  CHECK(sample(r.body, R"(turn_total_allocations{type="UDP"})") == 0);
  CHECK(sample(r.body, R"(turn_traffic_rcvp{realm="turnd.test"})") == 3);
  CHECK(sample(r.body, R"(turn_traffic_rcvb{realm="turnd.test"})") == 300);
  CHECK(sample(r.body, R"(turn_traffic_sentp{realm="turnd.test"})") == 2);
  CHECK(sample(r.body, R"(turn_traffic_sentb{realm="turnd.test"})") == 200);
  CHECK(sample(r.body, R"(turn_traffic_peer_rcvp{realm="turnd.test"})") == 2);
  CHECK(sample(r.body, R"(turn_traffic_peer_sentp{realm="turnd.test"})") == 3);
  CHECK(sample(r.body, "turnd_allocations_deleted_total") == 1);
  CHECK(r.body.find("user=") == std::string::npos);

  // coturn's health check.
  CHECK(http_get(port, "/").status == 200);
}

TEST_CASE("metrics: prometheus-username-labels adds user to turn_traffic_*") {
  const std::uint16_t port = free_port();
  TestServer server(metrics_config(port, /*username_labels=*/true));
  UdpSocket peer;
  {
    TurnClient alice(server.address());
    relay_some(alice, peer, 2, 1, 10);
    REQUIRE(alice.refresh(0).is_success());
  }
  {
    TurnClient bob(server.address(), "bob", "bob-pass");
    relay_some(bob, peer, 1, 0, 10);
    REQUIRE(bob.refresh(0).is_success());
  }
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.allocations_deleted == 2; }));
  const auto r = http_get(port, "/metrics");
  CHECK(r.status == 200);
  CHECK(sample(r.body, R"(turn_traffic_rcvp{realm="turnd.test",user="alice"})") == 2);
  CHECK(sample(r.body, R"(turn_traffic_rcvb{realm="turnd.test",user="alice"})") == 20);
  CHECK(sample(r.body, R"(turn_traffic_sentp{realm="turnd.test",user="alice"})") == 1);
  CHECK(sample(r.body, R"(turn_traffic_rcvp{realm="turnd.test",user="bob"})") == 1);
  CHECK(sample(r.body, "turn_total_traffic_rcvp") == 3);
}

TEST_CASE("metrics: TCP and TLS client allocations count under their coturn type") {
  TestPki pki;
  const std::uint16_t port = free_port();
  turn::Config config = tls_config(pki);
  turn::Config m = metrics_config(port);
  config.prometheus = m.prometheus;
  config.prometheus_address = m.prometheus_address;
  config.prometheus_port = m.prometheus_port;
  TestServer server(std::move(config));
  auto tcp = stream_client(server, Transport::kTcp);
  REQUIRE(tcp->allocate().is_success());
  auto tls = stream_client(server, Transport::kTls, "bob", "bob-pass");
  REQUIRE(tls->allocate().is_success());
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.active_allocations == 2; }));
  auto r = http_get(port, "/metrics");
  CHECK(sample(r.body, R"(turn_total_allocations{type="TCP"})") == 1);
  CHECK(sample(r.body, R"(turn_total_allocations{type="TLS/TCP"})") == 1);
  CHECK(sample(r.body, R"(turn_total_allocations{type="UDP"})") == 0);
  CHECK(sample(r.body, "turnd_active_connections") == 2);

  // The gauge follows the allocation's end (here: its connection closing).
  tcp.reset();
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.active_allocations == 1; }));
  r = http_get(port, "/metrics");
  CHECK(sample(r.body, R"(turn_total_allocations{type="TCP"})") == 0);
  CHECK(sample(r.body, R"(turn_total_allocations{type="TLS/TCP"})") == 1);
}

TEST_CASE("metrics: a custom prometheus-path, and / stays the health check") {
  const std::uint16_t port = free_port();
  turn::Config config = metrics_config(port);
  config.prometheus_path = "/custom/stats";
  TestServer server(std::move(config));
  const auto r = http_get(port, "/custom/stats");
  CHECK(r.status == 200);
  CHECK(sample(r.body, "turnd_workers") == 1);
  CHECK(http_get(port, "/").status == 200);
}

TEST_CASE("metrics: a prometheus port already in use is a startup error naming the address") {
  const int busy = tcp_socket();
  REQUIRE(busy >= 0);
  REQUIRE(::listen(busy, 1) == 0);
  const std::uint16_t port = bound_port(busy);
  turn::log::set_level(turn::log::Level::kError);
  try {
    turn::Server server(metrics_config(port));
    FAIL("the server started on a busy prometheus port");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  }
  ::close(busy);
}

TEST_CASE("metrics: the defences' counters and gauges, with coturn 4.14's 401 names") {
  const std::uint16_t port = free_port();
  auto config = metrics_config(port);
  config.unauthorized_ratelimit_rps = 2;  // test_config() raised it for its many clients
  config.auth_ban = true;
  config.auth_ban_maxretry = 2;
  TestServer server(config);
  TurnClient wrong(server.address(), "alice", "nope");
  CHECK(wrong.allocate().error_code() == 401);
  CHECK(wrong.allocate().error_code() == 401);  // the second failure bans 127.0.0.1
  REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.banned_sources == 1; }));
  auto r = http_get(port, "/metrics");
  CHECK(r.status == 200);
  CHECK(sample(r.body, "turn_unauthenticated_401_requests") >= 1);
  CHECK(sample(r.body, "turn_unauthenticated_401_responses") >= 1);
  CHECK(sample(r.body, "turn_unauthenticated_401_dropped_responses") == 0);
  CHECK(sample(r.body, "turn_ratelimit_total_buckets") == 4096);
  CHECK(sample(r.body, "turn_ratelimit_hash_collisions") == 0);
  CHECK(sample(r.body, "turnd_banned_sources") == 1);
  CHECK(sample(r.body, "turnd_bans_total") == 1);
  CHECK(sample(r.body, "turnd_auth_failures_total") == 2);
  CHECK(r.body.find("# TYPE turnd_banned_sources gauge") != std::string::npos);
  // Not served twice under turnd's own name.
  CHECK(r.body.find("turnd_unauthenticated_401_requests_total") == std::string::npos);
}

TEST_CASE("metrics: relay ports free follow allocations; each worker's loop lag histogram") {
  const std::uint16_t port = free_port();
  TestServer server(metrics_config(port));
  auto r = http_get(port, "/metrics");
  const auto total = sample(r.body, "turnd_relay_ports_total");
  const auto free_before = sample(r.body, "turnd_relay_ports_free");
  CHECK(total == 62999 - 61000 + 1);
  REQUIRE(free_before.has_value());
  CHECK(*free_before <= *total);
  {
    TurnClient c(server.address(), "alice", "alice-pass");
    REQUIRE(c.allocate().is_success());
    CHECK(sample(http_get(port, "/metrics").body, "turnd_relay_ports_free") == *free_before - 1);
    REQUIRE(c.refresh(0).is_success());
    REQUIRE(server.wait_for([](const turn::ServerTotals& t) { return t.active_allocations == 0; }));
  }
  CHECK(sample(http_get(port, "/metrics").body, "turnd_relay_ports_free") == *free_before);

  // The sweep timer runs every 250 ms: after a second each worker has counted a few runs, every
  // one of them in the +Inf bucket too (cumulative), the sum in seconds.
  const std::string count_name = "turnd_loop_lag_seconds_count{worker=\"0\"}";
  for (int i = 0; i < 50 && sample(r.body, count_name).value_or(0) < 3; ++i) {
    ::usleep(100'000);
    r = http_get(port, "/metrics");
  }
  CHECK(r.body.find("# TYPE turnd_loop_lag_seconds histogram") != std::string::npos);
  const auto count = sample(r.body, count_name);
  CHECK(count >= 3);
  CHECK(sample(r.body, "turnd_loop_lag_seconds_bucket{worker=\"0\",le=\"+Inf\"}") == count);
  CHECK(sample(r.body, "turnd_loop_lag_seconds_bucket{worker=\"0\",le=\"1\"}") <= count);
  CHECK(sample(r.body, "turnd_loop_lag_seconds_sum{worker=\"0\"}") >= 0);
}
