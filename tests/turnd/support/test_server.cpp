#include "support/test_server.hpp"

#include <cstdlib>
#include <string_view>

#include "util/log.hpp"

namespace turntest {

turn::Config test_config() {
  turn::Config c;
  c.listening_ips = {loopback()};
  c.listening_port = 0;
  c.relay_threads = 1;
  c.realm = kRealm;
  c.users = {{"alice", "alice-pass"}, {"bob", "bob-pass"}};
  c.min_port = 61000;
  c.max_port = 62999;
  c.allow_loopback_peers = true;
  // The user-space relay path by default. TURND_TEST_KERNEL_OFFLOAD=on runs every suite with
  // the kernel fast path forced on (scripts/test.sh does in its Release step, as root): the
  // clients must see the same behaviour, and the counters the same totals once read.
  const char* offload = std::getenv("TURND_TEST_KERNEL_OFFLOAD");
  c.kernel_offload = offload != nullptr && std::string_view(offload) == "on"
                         ? turn::Config::KernelOffload::kOn
                         : turn::Config::KernelOffload::kOff;
  // Every test client comes from 127.0.0.1, as a whole office behind one NAT would: its 401s
  // and requests must not run into the per-source budgets (tests/turnd/guard/ tests them).
  c.unauthorized_ratelimit_rps = 100000;
  c.request_ratelimit_rps = 0;
  // Many tests fail authentication on purpose, all from 127.0.0.1; the ban has its own tests.
  c.auth_ban = false;
  return c;
}

TestServer::TestServer(turn::Config config) {
  // Keep the test output readable: only errors.
  turn::log::set_level(turn::log::Level::kError);
  server_ = std::make_unique<turn::Server>(std::move(config));
  thread_ = std::thread([this] { server_->run(); });
}

TestServer::~TestServer() {
  server_->stop();
  thread_.join();
}

const stun::SocketAddress& TestServer::address() const {
  return server_->listeners().at(0);
}

bool TestServer::wait_for(const std::function<bool(const turn::ServerTotals&)>& pred,
                          Millis timeout) const {
  return eventually([&] { return pred(server_->totals()); }, timeout);
}

std::unique_ptr<TurnClient> TestServer::client(const std::string& user,
                                               const std::string& password) const {
  return std::make_unique<TurnClient>(address(), user, password);
}

bool eventually(const std::function<bool()>& pred, Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace turntest
