// A TCP listener out of file descriptors (issue 12, defect 6): accept() fails with EMFILE and
// the connection stays in the backlog, so a level-triggered poll wakes the worker again at once.
// turnd pauses accepting instead (counted and logged) and serves again once descriptors free
// up. Run against the real binary with a small RLIMIT_NOFILE.
#include <doctest/doctest.h>
#include <unistd.h>

#include <thread>

#include "support/printers.hpp"
#include "support/stream_test_util.hpp"
#include "support/turnd_process.hpp"

using namespace turntest;

TEST_CASE("accept backoff: out of file descriptors, turnd pauses accepting instead of spinning") {
  // 64 descriptors; connection caps above what that allows, so accept() itself runs out.
  TurndProcess turnd({{"--max-connections=1000", "--max-connections-per-source=1000"}, 64});
  std::vector<std::unique_ptr<StreamConnection>> flood;
  for (int i = 0; i < 120; ++i)
    flood.push_back(StreamConnection::connect(turnd.address()));
  REQUIRE(
      eventually([&] { return turnd.log().find("out of file descriptors") != std::string::npos; }));
  // Two seconds with connections waiting that cannot be accepted: a spinning loop would use
  // about 200 ticks (100 per CPU-second); pausing 100 ms at a time uses a few.
  const std::uint64_t before = turnd.cpu_ticks();
  std::this_thread::sleep_for(2s);
  const std::uint64_t used = turnd.cpu_ticks() - before;
  MESSAGE("CPU ticks in 2 s with accept() out of descriptors: " << used);
  CHECK(used < 40);
  // Freeing descriptors lets it serve again: the connections it holds are closed by their
  // clients, and a new one gets answers.
  flood.clear();
  std::unique_ptr<StreamConnection> fresh;
  CHECK(eventually(
      [&] {
        try {
          fresh = StreamConnection::connect(turnd.address());
          const stun::TransactionId tid = random_tid();
          fresh->write(binding_request(tid));
          auto frame = fresh->next_frame(500ms);
          return frame && Message(*frame).is_success();
        } catch (const std::exception&) {
          return false;
        }
      },
      15000ms));
  turnd.stop();
  CHECK(turnd.log().find("accept_backoffs=") != std::string::npos);
}
