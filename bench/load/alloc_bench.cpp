#include "alloc_bench.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "clock.hpp"
#include "connection.hpp"
#include "stun/message_view.hpp"
#include "turn_session.hpp"

namespace load {

namespace {

/// After a failure a loop waits this long before it starts over on a fresh socket, so that a dead
/// server does not turn the loop into a busy spin.
constexpr std::uint64_t kBackoffNs = 100 * kNsPerMs;
/// Nothing has succeeded after this long: the server is down or refuses everything.
constexpr std::uint64_t kGiveUpNs = 5 * kNsPerSec;
constexpr std::uint64_t kDrainNs = 2 * kNsPerSec;

struct Loop {
  Loop(std::uint32_t i, const Credentials* c, bool reliable)
      : index(i), session(c, Goal::kAllocCycle, {}, 0, reliable) {}

  std::uint32_t index;
  Connection conn;
  TurnSession session;
  std::uint64_t cycle_start = 0;
  std::uint64_t retry_at = 0;  ///< when closed after a failure: when to start again
};

class AllocRun {
 public:
  AllocRun(const Options& o, Window& w, AllocResult& r)
      : o_(o),
        window_(w),
        r_(r),
        credentials_{o.user, o.password},
        epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    loops_.reserve(o.inflight);
    for (std::size_t i = 0; i < o.inflight; ++i)
      loops_.emplace_back(static_cast<std::uint32_t>(i), &credentials_,
                          o.transport == Transport::kTcp);
  }
  ~AllocRun() { ::close(epoll_); }
  AllocRun(const AllocRun&) = delete;
  AllocRun& operator=(const AllocRun&) = delete;

  void run(const std::function<void(const char*)>& phase);

 private:
  /// Opens a fresh connection (a new 5-tuple, so that a half-done cycle cannot get in the way:
  /// RFC 8656 §7.2 answers 437 to an Allocate on a 5-tuple that still has an allocation) and
  /// starts a cycle.
  void begin(Loop& l, std::uint64_t now);
  void act(Loop& l, TurnSession::Status s, std::uint64_t now);
  void fail(Loop& l, const std::string& why, std::uint64_t now);

  const Options& o_;
  Window& window_;
  AllocResult& r_;
  Credentials credentials_;
  int epoll_;
  std::vector<Loop> loops_;
  RecvScratch scratch_;
  bool draining_ = false;  ///< after the window: finish the cycles under way, start none
};

void AllocRun::begin(Loop& l, std::uint64_t now) {
  std::string error;
  if (!l.conn.open(o_.transport, o_.server, o_.bind, error)) {
    fail(l, error, now);
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = l.index;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, l.conn.fd(), &ev);
  // The cycle starts with its first request (a TCP connect is part of it, as for a real call).
  l.cycle_start = now;
  act(l, l.session.start(now_ns()), now);
}

void AllocRun::fail(Loop& l, const std::string& why, std::uint64_t now) {
  ++r_.failures_total;
  if (window_.contains(now))
    ++r_.failures;
  if (r_.first_error.empty())
    r_.first_error = why;
  if (l.conn.is_open())
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, l.conn.fd(), nullptr);
  l.conn.reset();
  l.retry_at = now + kBackoffNs;
}

void AllocRun::act(Loop& l, TurnSession::Status s, std::uint64_t now) {
  switch (s) {
    case TurnSession::Status::kWaiting:
      return;
    case TurnSession::Status::kSend:
      if (l.conn.send(l.session.request()) == Connection::SendResult::kError)
        fail(l, l.conn.error(), now);
      return;
    case TurnSession::Status::kReady:
      ++r_.cycles_total;
      if (window_.contains(now)) {
        ++r_.cycles;
        r_.latency.record(now - l.cycle_start);
      }
      // Every cycle on a fresh socket, as every new call has a new 5-tuple. Reusing it is not an
      // option anyway: coturn answers 437 to an Allocate on a 5-tuple whose allocation a Refresh 0
      // has just deleted.
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, l.conn.fd(), nullptr);
      l.conn.reset();
      if (!draining_)
        begin(l, now);
      return;
    case TurnSession::Status::kFailed:
      if (l.session.error_code() == 437) {
        // The fresh socket got a port whose 5-tuple the server still associates with an
        // allocation (an earlier run's, or coturn's lingering session of a deleted one): a
        // collision on the client side, not a server failure. Start over on another port.
        ++r_.collisions;
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, l.conn.fd(), nullptr);
        l.conn.reset();
        if (!draining_)
          begin(l, now);
        return;
      }
      fail(l, l.session.error(), now);
      return;
  }
}

void AllocRun::run(const std::function<void(const char*)>& phase) {
  const std::uint64_t t0 = now_ns();
  const std::uint64_t measure_at = t0 + static_cast<std::uint64_t>(o_.warmup_s * 1e9);
  const std::uint64_t end_at = measure_at + static_cast<std::uint64_t>(o_.duration_s * 1e9);
  for (Loop& l : loops_)
    begin(l, t0);
  bool measuring = false;
  epoll_event events[256];
  for (;;) {
    std::uint64_t now = now_ns();
    if (!measuring && now >= measure_at) {
      window_.open(now);
      phase("measure");
      measuring = true;
    }
    if (now >= end_at && !draining_) {
      window_.close(now);
      phase("done");
      r_.window_s = static_cast<double>(now - window_.start()) / 1e9;
      // Let the cycles under way finish, so that no allocation is left behind on the server.
      draining_ = true;
    }
    if (draining_ &&
        (now >= end_at + kDrainNs || std::none_of(loops_.begin(), loops_.end(),
                                                  [](const Loop& l) { return l.conn.is_open(); })))
      return;
    if (r_.cycles_total == 0 && r_.failures_total > 0 && now - t0 > kGiveUpNs) {
      r_.aborted = true;
      return;
    }
    const int n = ::epoll_wait(epoll_, events, 256, 10);
    now = now_ns();
    for (int i = 0; i < n; ++i) {
      Loop& l = loops_[events[i].data.u32];
      if (!l.conn.is_open())
        continue;
      // The end of a cycle replaces the connection, which must not happen while it is still
      // reading: the outcome waits until receive() has returned.
      auto outcome = TurnSession::Status::kWaiting;
      const bool alive = l.conn.receive(scratch_, [&](stun::Bytes bytes) {
        if (outcome != TurnSession::Status::kWaiting || !stun::looks_like_stun(bytes))
          return;
        auto m = stun::MessageView::parse(bytes);
        if (!m)
          return;
        const auto s = l.session.on_message(*m, now);
        if (s == TurnSession::Status::kSend)
          act(l, s, now);
        else
          outcome = s;
      });
      if (outcome != TurnSession::Status::kWaiting) {
        act(l, outcome, now);
        continue;
      }
      if (!l.conn.is_open())
        continue;
      if (!alive)
        fail(l, l.conn.error(), now);
      else if (l.conn.refused())
        fail(l, "connection refused: nothing listens on " + o_.server.to_string(), now);
    }
    for (Loop& l : loops_) {
      if (!l.conn.is_open()) {
        if (!draining_ && now >= l.retry_at)
          begin(l, now);
        continue;
      }
      if (l.conn.queued() > 0 && !l.conn.flush()) {
        fail(l, l.conn.error(), now);
        continue;
      }
      if (l.session.busy() && now >= l.session.deadline())
        act(l, l.session.on_timer(now), now);
    }
  }
}

}  // namespace

AllocResult run_alloc(const Options& options, Window& window,
                      const std::function<void(const char*)>& phase) {
  AllocResult result;
  AllocRun(options, window, result).run(phase);
  return result;
}

}  // namespace load
