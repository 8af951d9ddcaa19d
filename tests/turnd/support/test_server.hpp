// An in-process turnd for tests: a turn::Server on 127.0.0.1 with a kernel-chosen port, run on
// its own thread and stopped (and joined) by the destructor.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "config/config.hpp"
#include "server.hpp"
#include "support/turn_client.hpp"

namespace turntest {

/// The realm and users every test server knows.
inline constexpr const char* kRealm = "turnd.test";

/// 127.0.0.1:0, one worker, users alice/alice-pass and bob/bob-pass, relay ports 61000-62999
/// (above Linux's default ephemeral range, so the test's own sockets never look like relay
/// addresses), loopback peers allowed (most tests relay to 127.0.0.1 peers). Every client is
/// 127.0.0.1, so the per-source 401 budget is raised and the brute-force ban is off; the tests
/// of those defences (tests/turnd/guard/) set them back.
turn::Config test_config();

class TestServer {
 public:
  explicit TestServer(turn::Config config = test_config());
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  /// The first listener's address (the real port).
  const stun::SocketAddress& address() const;
  turn::Server& server() { return *server_; }
  turn::ServerTotals totals() const { return server_->totals(); }
  /// Polls totals() until `pred` holds; false on timeout.
  bool wait_for(const std::function<bool(const turn::ServerTotals&)>& pred,
                Millis timeout = kReplyTimeout) const;
  /// A client of this server.
  std::unique_ptr<TurnClient> client(const std::string& user = "alice",
                                     const std::string& password = "alice-pass") const;

 private:
  std::unique_ptr<turn::Server> server_;
  std::thread thread_;
};

/// Polls `pred` every 20 ms until it holds; false on timeout.
bool eventually(const std::function<bool()>& pred, Millis timeout = kReplyTimeout);

}  // namespace turntest
