#include "keepalive.hpp"

#include <algorithm>
#include <iostream>

#include "clock.hpp"
#include "stun/message_view.hpp"

namespace load {

namespace {

std::uint64_t period_of(const TurnSession& s) {
  const std::uint64_t half = std::uint64_t{s.lifetime_s()} * kNsPerSec / 2;
  return std::clamp<std::uint64_t>(half, 10 * kNsPerSec, Keepalive::kMaxPeriodNs);
}

}  // namespace

Keepalive::Keepalive(std::vector<Client>& clients, const std::vector<std::uint32_t>& active,
                     bool enabled, std::uint64_t start_ns)
    : clients_(clients), active_(active), enabled_(enabled), next_due_(clients.size(), 0) {
  // Spread the renewals over 10 s so that they do not all land on the server at once.
  for (std::uint32_t i : active_)
    next_due_[i] = start_ns + period_of(clients_[i].session) + (i % 1000) * 10 * kNsPerMs;
}

void Keepalive::post(std::uint32_t client, stun::Bytes message) {
  std::lock_guard lock(mutex_);
  inbox_.emplace_back(client, std::vector<std::uint8_t>(message.begin(), message.end()));
  posted_.store(true, std::memory_order_release);
}

void Keepalive::act(Client& c, TurnSession::Status s, std::uint64_t now) {
  switch (s) {
    case TurnSession::Status::kWaiting:
      return;
    case TurnSession::Status::kSend:
      c.conn.send(c.session.request());
      return;
    case TurnSession::Status::kReady:
      next_due_[c.index] = now + period_of(c.session);
      return;
    case TurnSession::Status::kFailed:
      if (failures_++ == 0)
        std::cerr << "turnd_load: keepalive of client " << c.index
                  << " failed: " << c.session.error() << "\n";
      next_due_[c.index] = now + 10 * kNsPerSec;
      return;
  }
}

void Keepalive::poll(std::uint64_t now) {
  if (posted_.load(std::memory_order_acquire)) {
    {
      std::lock_guard lock(mutex_);
      work_.swap(inbox_);
      posted_.store(false, std::memory_order_relaxed);
    }
    for (auto& [index, bytes] : work_) {
      auto m = stun::MessageView::parse(bytes);
      if (m)
        act(clients_[index], clients_[index].session.on_message(*m, now), now);
    }
    work_.clear();
  }
  if (!enabled_ || now < next_scan_)
    return;
  next_scan_ = now + 100 * kNsPerMs;
  for (std::uint32_t i : active_) {
    Client& c = clients_[i];
    if (c.session.busy()) {
      act(c, c.session.on_timer(now), now);
    } else if (now >= next_due_[i]) {
      act(c, c.session.keepalive(now), now);
    }
  }
}

}  // namespace load
