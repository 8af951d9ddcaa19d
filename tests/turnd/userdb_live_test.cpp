// Live user-database updates (the user-db issue): turnd notices a changed db without a restart.
// An added user can allocate within 2 s; a deleted user's new requests get 401 while the
// existing allocation keeps relaying until its next Refresh fails authentication.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "support/test_server.hpp"

using namespace turntest;

namespace {

struct UserFile {
  std::string path;
  UserFile() {
    char name[] = "/tmp/turnd-users-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
  }
  ~UserFile() { std::remove(path.c_str()); }
  /// Replaced atomically, as turnadmin does (temp file + rename).
  void write(const std::string& text) const {
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << text;
    REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
  }
};

}  // namespace

TEST_CASE("userdb: users added and deleted while turnd runs") {
  UserFile users;
  users.write("alice:alice-pass\n");
  auto config = test_config();
  config.users.clear();
  config.userdb = users.path;
  TestServer server(config);

  auto alice = server.client("alice", "alice-pass");
  REQUIRE(alice->allocate().is_success());
  UdpSocket peer;
  REQUIRE(alice->create_permission({peer.local()}).is_success());
  CHECK(server.client("carol", "carol-pass")->allocate().error_code() == 401);

  SUBCASE("an added user can allocate within 2 s") {
    users.write("alice:alice-pass\ncarol:carol-pass\n");
    CHECK(eventually([&] { return server.client("carol", "carol-pass")->allocate().is_success(); },
                     2000ms));
  }

  SUBCASE("a deleted user: new requests 401, the allocation relays until its refresh fails") {
    users.write("carol:carol-pass\n");
    CHECK(eventually(
        [&] { return server.client("alice", "alice-pass")->allocate().error_code() == 401; },
        2000ms));
    const auto payload = payload_of(100, 7);
    alice->send_indication(peer.local(), payload);
    auto at_peer = peer.receive();
    REQUIRE(at_peer);
    CHECK(at_peer->data == payload);
    CHECK(alice->refresh(600).error_code() == 401);
    // Still there until its lifetime runs out: the peer's answer is relayed back.
    peer.send_to(alice->relay(), payload);
    auto back = alice->receive_relayed();
    REQUIRE(back);
    CHECK(back->data == payload);
  }
}
