#include "setup.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

#include "clock.hpp"
#include "stun/message_view.hpp"

namespace load {

namespace {

/// With requests outstanding and not one answer for this long, the server is taken to be down.
constexpr std::uint64_t kSilenceLimitNs = 5 * kNsPerSec;
/// A 437 at setup means the kernel gave this client a port whose 5-tuple still has an
/// allocation (a killed earlier run): a fresh socket gets another port.
constexpr int kMaxFreshSockets = 3;

class SessionRun {
 public:
  enum class Action : std::uint8_t { kSetup, kRelease };

  SessionRun(std::vector<Client>& clients, const Options& options, Action action,
             SetupResult& result)
      : clients_(clients),
        options_(options),
        action_(action),
        result_(result),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)),
        done_(clients.size(), 0),
        fresh_sockets_(clients.size(), 0) {}
  ~SessionRun() { ::close(epoll_); }
  SessionRun(const SessionRun&) = delete;
  SessionRun& operator=(const SessionRun&) = delete;

  void run(std::size_t concurrency, std::uint64_t budget_ns);

 private:
  void start(Client& c, std::uint64_t now);
  /// Carries out what the session asked for.
  void act(Client& c, TurnSession::Status s, std::uint64_t now);
  void finish(Client& c, bool ok, const std::string& why);
  void on_readable(Client& c, std::uint64_t now);
  bool in_progress(std::uint32_t i) const { return !done_[i]; }

  std::vector<Client>& clients_;
  const Options& options_;
  Action action_;
  SetupResult& result_;
  int epoll_;
  RecvScratch scratch_;
  std::vector<std::uint8_t> done_;
  std::vector<std::uint8_t> fresh_sockets_;
  std::uint64_t last_heard_ = 0;
};

void SessionRun::finish(Client& c, bool ok, const std::string& why) {
  done_[c.index] = 1;
  if (c.conn.is_open())
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.conn.fd(), nullptr);
  if (ok) {
    ++result_.ready;
  } else {
    ++result_.failed;
    if (result_.first_error.empty())
      result_.first_error = why;
  }
  // Setup keeps a ready client's connection for the traffic; everything else is closed.
  c.ready = ok && action_ == Action::kSetup;
  if (!c.ready)
    c.conn.close();
}

void SessionRun::act(Client& c, TurnSession::Status s, std::uint64_t now) {
  switch (s) {
    case TurnSession::Status::kWaiting:
      return;
    case TurnSession::Status::kSend:
      if (c.conn.send(c.session.request()) == Connection::SendResult::kError)
        finish(c, false, c.conn.error());
      return;
    case TurnSession::Status::kReady:
      finish(c, true, {});
      return;
    case TurnSession::Status::kFailed:
      if (action_ == Action::kSetup && c.session.error_code() == 437 &&
          fresh_sockets_[c.index] < kMaxFreshSockets) {
        ++fresh_sockets_[c.index];
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.conn.fd(), nullptr);
        c.conn.close();
        start(c, now);
        return;
      }
      finish(c, false, c.session.error());
      return;
  }
}

void SessionRun::start(Client& c, std::uint64_t now) {
  if (action_ == Action::kRelease && !c.ready) {
    done_[c.index] = 1;  // nothing to release
    return;
  }
  if (action_ == Action::kSetup) {
    std::string error;
    if (!c.conn.open(options_.transport, options_.server, options_.bind, error)) {
      finish(c, false, error);
      return;
    }
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = c.index;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.conn.fd(), &ev);
  act(c, action_ == Action::kSetup ? c.session.start(now) : c.session.release(now), now);
}

void SessionRun::on_readable(Client& c, std::uint64_t now) {
  // Finishing may close or replace the connection, which must not happen while it is still
  // reading: the outcome waits until receive() has returned.
  auto outcome = TurnSession::Status::kWaiting;
  const bool alive = c.conn.receive(scratch_, [&](stun::Bytes bytes) {
    if (outcome != TurnSession::Status::kWaiting || !stun::looks_like_stun(bytes))
      return;
    auto m = stun::MessageView::parse(bytes);
    if (!m)
      return;
    last_heard_ = now;
    const auto s = c.session.on_message(*m, now);
    if (s == TurnSession::Status::kSend)
      act(c, s, now);
    else
      outcome = s;
  });
  if (outcome != TurnSession::Status::kWaiting) {
    act(c, outcome, now);
    return;
  }
  if (done_[c.index])
    return;
  if (!alive)
    finish(c, false, c.conn.error());
  else if (c.conn.refused())
    finish(c, false, "connection refused: nothing listens on " + options_.server.to_string());
}

void SessionRun::run(std::size_t concurrency, std::uint64_t budget_ns) {
  std::vector<std::uint32_t> active;
  std::size_t next = 0;
  const std::uint64_t t0 = now_ns();
  last_heard_ = t0;
  epoll_event events[256];

  while (next < clients_.size() || !active.empty()) {
    std::uint64_t now = now_ns();
    while (active.size() < concurrency && next < clients_.size()) {
      Client& c = clients_[next++];
      start(c, now);
      if (in_progress(c.index))
        active.push_back(c.index);
    }
    const int n = ::epoll_wait(epoll_, events, 256, 20);
    now = now_ns();
    for (int i = 0; i < n; ++i) {
      Client& c = clients_[events[i].data.u32];
      if (in_progress(c.index))
        on_readable(c, now);
    }
    for (std::uint32_t i : active) {
      Client& c = clients_[i];
      if (!in_progress(i))
        continue;
      if (c.conn.queued() > 0 && !c.conn.flush()) {
        finish(c, false, c.conn.error());
        continue;
      }
      if (now >= c.session.deadline())
        act(c, c.session.on_timer(now), now);
    }
    std::erase_if(active, [&](std::uint32_t i) { return !in_progress(i); });

    std::string why;
    if (!active.empty() && now - last_heard_ > kSilenceLimitNs)
      why = "no answer from " + options_.server.to_string() + " for " +
            std::to_string(kSilenceLimitNs / kNsPerSec) + " s";
    else if (now - t0 > budget_ns)
      why = "out of time";
    if (!why.empty()) {
      // Give up on what is pending and what has not started, rather than spend a timeout on
      // every remaining client.
      for (std::uint32_t i : active)
        finish(clients_[i], false, why);
      active.clear();
      for (; next < clients_.size(); ++next)
        finish(clients_[next], false, why);
    }
  }
}

}  // namespace

SetupResult run_setup(std::vector<Client>& clients, const Options& options, bool signalling,
                      std::size_t concurrency) {
  SetupResult result;
  if (!signalling) {
    for (Client& c : clients) {
      std::string error;
      if (c.conn.open(options.transport, options.server, options.bind, error)) {
        c.ready = true;
        ++result.ready;
      } else {
        ++result.failed;
        if (result.first_error.empty())
          result.first_error = error;
      }
    }
    return result;
  }
  SessionRun(clients, options, SessionRun::Action::kSetup, result)
      .run(concurrency, ~std::uint64_t{0});
  return result;
}

SetupResult run_release(std::vector<Client>& clients, const Options& options,
                        std::size_t concurrency, std::uint64_t budget_ns) {
  SetupResult result;
  for (Client& c : clients) {
    if (c.ready && c.conn.stream()) {
      c.conn.close();
      c.ready = false;
      ++result.ready;
    }
  }
  // Only UDP clients with an allocation are left ready; the run skips the others.
  SessionRun(clients, options, SessionRun::Action::kRelease, result).run(concurrency, budget_ns);
  return result;
}

}  // namespace load
