// StreamClients on its own loop against a recording host, over real loopback TCP sockets but
// without a worker: what reaches the ingress, when the host is asked to flush (the frames handed
// out must not move while relayed data points into them), what is written and when, and how
// connections end (the allocation with them, RFC 8656 §3.1).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <utility>
#include <vector>

#include "conn/stream_clients.hpp"
#include "net/tcp_socket.hpp"
#include "net/udp_socket.hpp"
#include "support/stream_test_util.hpp"
#include "support/test_server.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

class RecordingHost final : public turn::StreamHost {
 public:
  explicit RecordingHost(turn::Config config)
      : settings_(std::move(config), std::vector<stun::SocketAddress>{}, &live_) {}

  turn::StreamClients* streams = nullptr;
  std::vector<std::pair<turn::ClientKey, Bytes>> delivered;
  std::vector<turn::ClientKey> ended;
  int flushes = 0;
  int changes = 0;
  bool ban = false;
  bool allocation = false;

  void deliver(const turn::ClientKey& key, stun::Bytes message) override {
    delivered.emplace_back(key, Bytes(message.begin(), message.end()));
  }
  void connection_ending(const turn::ClientKey& key) override { ended.push_back(key); }
  bool has_allocation(const turn::ClientKey&) override { return allocation; }
  std::uint32_t new_connection_id() override { return next_id_++; }
  void connections_changed() override { ++changes; }
  const turn::Settings& settings() const override { return settings_; }
  bool source_banned(const stun::SocketAddress&) override { return ban; }
  void flush_relayed() override {
    ++flushes;
    streams->flush();
  }

 private:
  turn::LiveRelays live_;
  turn::Settings settings_;
  std::uint32_t next_id_ = 1;
};

/// A loop, a listening socket on 127.0.0.1 and the stream clients under test.
struct Fixture {
  explicit Fixture(turn::Config config = turntest::test_config())
      : host(std::move(config)), streams(&loop_storage(), host, limits, stats) {
    host.streams = &streams;
    std::string error;
    listen_fd = turn::open_tcp_listener(stun::SocketAddress::v4({127, 0, 0, 1}, 0), false, error);
    REQUIRE(listen_fd >= 0);
    address = turn::local_address_of(listen_fd);
  }
  ~Fixture() {
    streams.close_all("test over");
    uv_run(&loop, UV_RUN_DEFAULT);  // the close callbacks free the connections
    CHECK(uv_loop_close(&loop) == 0);
    ::close(listen_fd);
  }

  uv_loop_t& loop_storage() {
    REQUIRE(uv_loop_init(&loop) == 0);
    return loop;
  }

  /// A blocking client socket connected to the listener.
  int connect_client() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_storage to{};
    const socklen_t len = address.to_sockaddr(to);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), len) == 0);
    timeval timeout{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
  }

  /// Accepts until `count` connections are open, for at most 2 s.
  bool accept_until(std::size_t count) {
    return run_until([&] {
      streams.accept(listen_fd, 0);
      return streams.size() == count;
    });
  }

  /// Runs the loop until `done` holds, for at most 2 s.
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      uv_run(&loop, UV_RUN_NOWAIT);
    }
    return true;
  }

  uv_loop_t loop{};
  RecordingHost host;
  turn::ConnectionLimiter limits;
  turn::WorkerStats stats;
  turn::StreamClients streams;
  int listen_fd = -1;
  stun::SocketAddress address;
};

void send_all(int fd, const Bytes& bytes) {
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(bytes.size()));
}

/// Bytes the client has been sent so far, without waiting.
Bytes received_now(int fd) {
  Bytes got(4096);
  const ssize_t n = ::recv(fd, got.data(), got.size(), MSG_DONTWAIT);
  got.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return got;
}

/// 0 when the server closed the connection, waiting up to the socket's 2 s timeout.
ssize_t read_to_end(int fd) {
  std::uint8_t byte[512];
  ssize_t n = 0;
  while ((n = ::recv(fd, byte, sizeof byte, 0)) > 0) {
  }
  return n;
}

}  // namespace

TEST_CASE("stream clients: a message goes to the ingress; settling asks for one flush only") {
  Fixture f;
  const int client = f.connect_client();
  REQUIRE(f.accept_until(1));
  CHECK(f.host.changes == 1);
  CHECK(f.stats.stream_connections == 1);
  const Bytes request = turntest::binding_request(turntest::random_tid());
  send_all(client, request);
  REQUIRE(f.run_until([&] { return !f.host.delivered.empty(); }));
  const turn::ClientKey key = f.host.delivered.front().first;
  CHECK(key.connection == 1);
  CHECK(key.listener == 0);
  CHECK(f.host.delivered.front().second == request);
  CHECK(f.stats.stream_frames == 1);

  turn::StreamClient* s = f.streams.find(key.connection);
  REQUIRE(s != nullptr);
  const int flushes_before = f.host.flushes;
  f.streams.settle_input(*s);  // a frame was handed out since the last flush
  CHECK(f.host.flushes == flushes_before + 1);
  f.streams.settle_input(*s);  // nothing handed out since
  CHECK(f.host.flushes == flushes_before + 1);
  ::close(client);
}

TEST_CASE("stream clients: output waits for the flush; ChannelData is padded to 4 bytes") {
  Fixture f;
  const int client = f.connect_client();
  REQUIRE(f.accept_until(1));
  const Bytes channel_data{0x40, 0x00, 0x00, 0x01, 0xAB};
  CHECK(f.streams.send(1, channel_data));
  CHECK_FALSE(f.streams.send(77, channel_data));  // not one of these connections
  CHECK(received_now(client).empty());
  f.streams.flush();
  Bytes got;
  REQUIRE(f.run_until([&] {
    const Bytes more = received_now(client);
    got.insert(got.end(), more.begin(), more.end());
    return got.size() >= 8;
  }));
  CHECK(got == Bytes{0x40, 0x00, 0x00, 0x01, 0xAB, 0x00, 0x00, 0x00});
  ::close(client);
}

TEST_CASE("stream clients: closing ends the allocation and the connection") {
  Fixture f;
  const int client = f.connect_client();
  REQUIRE(f.accept_until(1));
  turn::StreamClient* s = f.streams.find(1);
  REQUIRE(s != nullptr);
  f.streams.close(*s, "test");
  REQUIRE(f.host.ended.size() == 1);
  CHECK(f.host.ended.front().connection == 1);
  CHECK(f.streams.size() == 0);
  CHECK(f.streams.find(1) == nullptr);
  CHECK(f.host.changes == 2);
  uv_run(&f.loop, UV_RUN_NOWAIT);  // the close callback closes the socket
  CHECK(read_to_end(client) == 0);
  ::close(client);
}

TEST_CASE("stream clients: bytes that are no frame close the connection, counted") {
  Fixture f;
  const int client = f.connect_client();
  REQUIRE(f.accept_until(1));
  send_all(client, Bytes{0xC0, 0x01, 0x02, 0x03});  // neither STUN (00/01) nor a channel
  REQUIRE(f.run_until([&] { return f.streams.size() == 0; }));
  CHECK(f.stats.stream_frame_errors == 1);
  CHECK(f.host.delivered.empty());
  CHECK(f.host.ended.size() == 1);
  ::close(client);
}

TEST_CASE("stream clients: banned and over-the-cap sources are accepted only to be closed") {
  Fixture f;
  f.limits.set_limits(/*per_source=*/1, /*total=*/10);
  f.host.ban = true;
  const int banned = f.connect_client();
  REQUIRE(f.run_until([&] {
    f.streams.accept(f.listen_fd, 0);
    std::uint8_t byte = 0;
    return ::recv(banned, &byte, 1, MSG_DONTWAIT) == 0;  // closed by the server
  }));
  CHECK(f.streams.size() == 0);
  CHECK(f.host.changes == 0);
  ::close(banned);

  f.host.ban = false;
  const int first = f.connect_client();
  const int second = f.connect_client();
  REQUIRE(f.run_until([&] {
    f.streams.accept(f.listen_fd, 0);
    return f.stats.connections_refused == 1;
  }));
  CHECK(f.streams.size() == 1);
  CHECK(read_to_end(second) == 0);
  ::close(first);
  ::close(second);
}

TEST_CASE("stream clients: sweep closes a silent connection after 10 s, an idle one after 120 s") {
  Fixture f;
  const int silent = f.connect_client();
  const int idle = f.connect_client();
  REQUIRE(f.accept_until(2));
  send_all(idle, turntest::binding_request(turntest::random_tid()));
  REQUIRE(f.run_until([&] { return f.host.delivered.size() == 1; }));
  const std::uint64_t now = uv_now(&f.loop);
  f.streams.sweep(now + 9'000);
  CHECK(f.streams.size() == 2);
  f.streams.sweep(now + 10'500);  // the silent one never completed a message
  CHECK(f.streams.size() == 1);
  CHECK(f.stats.stream_timeouts == 1);
  f.host.allocation = true;
  f.streams.sweep(now + 121'000);  // an allocation keeps an idle connection open
  CHECK(f.streams.size() == 1);
  f.host.allocation = false;
  f.streams.sweep(now + 121'000);
  CHECK(f.streams.size() == 0);
  CHECK(f.stats.stream_idle_closed == 1);
  ::close(silent);
  ::close(idle);
}
