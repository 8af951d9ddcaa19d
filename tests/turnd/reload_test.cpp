// SIGHUP reload (the coturn drop-in issue): users and settings change without dropping any
// allocation or relayed packet; options that need a restart keep their running value; a broken
// file keeps the running configuration.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "config/load_config.hpp"
#include "support/test_server.hpp"

using namespace turntest;

namespace {

struct ConfigFile {
  std::string path;
  ConfigFile() {
    char name[] = "/tmp/turnd-reload-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
  }
  ~ConfigFile() { std::remove(path.c_str()); }
  void write(const std::string& text) const { std::ofstream(path, std::ios::trunc) << text; }
};

const char* const kBase =
    "listening-ip=127.0.0.1\n"
    "realm=turnd.test\n"
    "user=alice:alice-pass\n"
    "min-port=61000\n"
    "max-port=62999\n"
    "allow-loopback-peers\n";

/// The server the file describes, with a kernel-chosen port (a test cannot own 3478).
turn::Config load(const ConfigFile& file) {
  std::vector<std::string> warnings;
  turn::Config c = turn::load_config(file.path, {}, warnings);
  c.listening_port = 0;
  return c;
}

}  // namespace

TEST_CASE("reload: SIGHUP adds a user while a stream is relayed, losing no packet") {
  ConfigFile file;
  file.write(kBase);
  TestServer server(load(file));
  server.server().set_config_loader([&file] { return load(file); });

  auto alice = server.client("alice", "alice-pass");
  REQUIRE(alice->allocate().is_success());
  UdpSocket peer;
  REQUIRE(alice->channel_bind(0x4001, peer.local()).is_success());
  auto carol = server.client("carol", "carol-pass");
  CHECK(carol->allocate().error_code() == 401);  // not a user yet

  // Ping-pong through the relay; the reload happens in the middle of the stream.
  constexpr int kPackets = 1500;
  int delivered = 0;
  int returned = 0;
  for (int i = 0; i < kPackets; ++i) {
    if (i == kPackets / 2) {
      file.write(std::string(kBase) + "user=carol:carol-pass\npermission-lifetime=120\n");
      REQUIRE(::kill(::getpid(), SIGHUP) == 0);
    }
    const auto payload = payload_of(64 + i % 64, static_cast<std::uint8_t>(i));
    alice->send_channel_data(0x4001, payload);
    auto at_peer = peer.receive();
    if (!at_peer || at_peer->data != payload)
      continue;
    ++delivered;
    peer.send_to(alice->relay(), payload);
    auto back = alice->receive_relayed();
    if (back && back->channel && back->data == payload)
      ++returned;
  }
  CHECK(delivered == kPackets);
  CHECK(returned == kPackets);
  CHECK(server.totals().active_allocations == 1);  // alice's allocation survived the reload

  // The new user can allocate once the reload is applied (well within 2 s).
  CHECK(eventually([&] {
    auto c = server.client("carol", "carol-pass");
    return c->allocate().is_success();
  }));
}

TEST_CASE("reload: a broken file keeps the running configuration") {
  ConfigFile file;
  file.write(kBase);
  TestServer server(load(file));
  server.server().set_config_loader([&file] { return load(file); });
  auto alice = server.client("alice", "alice-pass");
  REQUIRE(alice->allocate().is_success());

  file.write(std::string(kBase) + "min-port=notanumber\n");
  CHECK_FALSE(server.server().reload());
  // Still serving, alice's allocation and credentials unchanged.
  CHECK(alice->refresh(600).is_success());
  CHECK(server.client("alice", "alice-pass")->allocate().is_success());
}

TEST_CASE("reload: options that need a restart keep their running value") {
  ConfigFile file;
  file.write(kBase);
  TestServer server(load(file));
  server.server().set_config_loader([&file] { return load(file); });

  // A new relay range and realm need a restart; the new user is applied at once.
  file.write(std::string(kBase) + "min-port=50000\nmax-port=50010\nrealm=other\n" +
             "user=dave:dave-pass\n");
  REQUIRE(server.server().reload());
  auto dave = server.client("dave", "dave-pass");
  REQUIRE(dave->allocate().is_success());
  CHECK(dave->relay().port >= 61000);
  CHECK(dave->relay().port <= 62999);
  CHECK(dave->realm() == "turnd.test");
}
