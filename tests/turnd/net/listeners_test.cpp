// Which sockets a configuration opens (net/listeners): UDP and TCP on listening-port, the TLS
// port and the alt ports only when set, DTLS's UDP only with `dtls`, and no-udp / no-tcp.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_cert.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

/// A port free for both UDP and TCP on 127.0.0.1 right now (below the ephemeral range, so the
/// kernel does not hand it to someone else meanwhile).
std::uint16_t free_port() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto port = static_cast<std::uint16_t>(20000 + (::getpid() * 7 + attempt * 131) % 9000);
    bool free = true;
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      const int fd = ::socket(AF_INET, type, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      free = free && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
      ::close(fd);
    }
    if (free)
      return port;
  }
  FAIL("no free port");
  return 0;
}

bool has_port(const std::vector<stun::SocketAddress>& list, std::uint16_t port) {
  return std::any_of(list.begin(), list.end(), [port](const auto& a) { return a.port == port; });
}

stun::SocketAddress at(std::uint16_t port) {
  return loopback(port);
}

/// One unauthenticated Binding over `client`'s transport answers.
bool binding_answers(TurnClient& client) {
  const stun::TransactionId tid = random_tid();
  auto r = client.exchange(binding_request(tid), tid);
  return r && r->is_success();
}

}  // namespace

TEST_CASE("listeners: TLS and alt ports listen when set; TLS and plain are told apart there") {
  TestPki pki;
  auto config = tls_config(pki);
  config.tls_listening_port = free_port();
  config.alt_listening_port = static_cast<std::uint16_t>(config.tls_listening_port + 1);
  config.alt_tls_listening_port = static_cast<std::uint16_t>(config.tls_listening_port + 2);
  TestServer server(config);
  const auto& udp = server.server().listeners();
  const auto& tcp = server.server().stream_listeners();
  // UDP on the plain ports only (the TLS ports carry UDP only for DTLS).
  CHECK(udp.size() == 2);
  CHECK(has_port(udp, config.alt_listening_port));
  CHECK_FALSE(has_port(udp, config.tls_listening_port));
  CHECK(tcp.size() == 4);
  for (auto port :
       {config.tls_listening_port, config.alt_listening_port, config.alt_tls_listening_port}) {
    CAPTURE(port);
    REQUIRE(has_port(tcp, port));
    TurnClient tls(at(port), "alice", "alice-pass", Transport::kTls);
    CHECK(binding_answers(tls));
    TurnClient tcp_client(at(port), "alice", "alice-pass", Transport::kTcp);
    CHECK(binding_answers(tcp_client));
  }
  TurnClient udp_client(at(config.alt_listening_port));
  CHECK(udp_client.allocate().is_success());
}

TEST_CASE("listeners: dtls adds UDP on the TLS port; without a cert there are no TLS ports") {
  TestPki pki;
  auto config = tls_config(pki);
  config.tls_listening_port = free_port();
  config.dtls = true;
  {
    TestServer server(config);
    CHECK(has_port(server.server().listeners(), config.tls_listening_port));
    TurnClient dtls(at(config.tls_listening_port), "alice", "alice-pass", Transport::kDtls);
    CHECK(dtls.allocate().is_success());
  }
  config.cert.clear();
  config.dtls = false;
  TestServer plain(config);
  CHECK_FALSE(has_port(plain.server().stream_listeners(), config.tls_listening_port));
  CHECK_FALSE(has_port(plain.server().listeners(), config.tls_listening_port));
}

TEST_CASE("listeners: no-udp leaves TCP only, no-tcp UDP only") {
  auto config = test_config();
  config.no_udp = true;
  {
    TestServer server(config);
    CHECK(server.server().listeners().empty());
    REQUIRE(server.server().stream_listeners().size() == 1);
    auto c = stream_client(server, Transport::kTcp);
    CHECK(c->allocate().is_success());
  }
  config.no_udp = false;
  config.no_tcp = true;
  TestServer server(config);
  CHECK(server.server().listeners().size() == 1);
  CHECK(server.server().stream_listeners().empty());
}
