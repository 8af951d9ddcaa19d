#include "net/port_pool.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <stdexcept>

namespace turn {
namespace {

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof(v)) != 1)
    throw std::runtime_error("the OS random number generator failed");
  return v;
}

/// Uniform in [0, n) from the CSPRNG, without modulo bias (rejection of the top partial range).
std::size_t random_below(std::size_t n) {
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t v = 0;
  do {
    v = random_u64();
  } while (v >= limit);
  return static_cast<std::size_t>(v % n);
}

}  // namespace

PortPool::PortPool(std::uint16_t min_port, std::uint16_t max_port)
    : live(min_port, max_port),
      min_(min_port),
      max_(max_port),
      position_(max_port >= min_port ? max_port - min_port + 1u : 0u, -1) {
  for (std::uint32_t p = min_port; p <= max_port; ++p) {
    position_[p - min_port] = static_cast<std::int32_t>(free_.size());
    free_.push_back(static_cast<std::uint16_t>(p));
  }
}

void PortPool::remove_locked(std::uint16_t port) {
  const std::int32_t at = position_[port - min_];
  const std::uint16_t last = free_.back();
  free_[static_cast<std::size_t>(at)] = last;
  position_[last - min_] = at;
  free_.pop_back();
  position_[port - min_] = -1;
}

bool PortPool::is_free_locked(std::uint16_t port) const {
  return position_[port - min_] >= 0;
}

std::optional<std::uint16_t> PortPool::take() {
  std::lock_guard lock(mu_);
  if (free_.empty())
    return std::nullopt;
  const auto port = free_[random_below(free_.size())];
  remove_locked(port);
  return port;
}

std::optional<std::uint16_t> PortPool::take_even(bool reserve_next) {
  std::lock_guard lock(mu_);
  // Random probes first, then a scan from a random point, so a fragmented pool still succeeds.
  auto fits = [&](std::uint16_t p) {
    return p % 2 == 0 && (!reserve_next || (p < max_ && is_free_locked(p + 1)));
  };
  if (free_.empty())
    return std::nullopt;
  for (int i = 0; i < 32; ++i) {
    const auto p = free_[random_below(free_.size())];
    if (fits(p)) {
      remove_locked(p);
      if (reserve_next)
        remove_locked(p + 1);
      return p;
    }
  }
  const std::size_t start = random_below(free_.size());
  for (std::size_t i = 0; i < free_.size(); ++i) {
    const auto p = free_[(start + i) % free_.size()];
    if (fits(p)) {
      remove_locked(p);
      if (reserve_next)
        remove_locked(p + 1);
      return p;
    }
  }
  return std::nullopt;
}

void PortPool::put(std::uint16_t port) {
  std::lock_guard lock(mu_);
  if (port < min_ || port > max_ || is_free_locked(port))
    return;
  position_[port - min_] = static_cast<std::int32_t>(free_.size());
  free_.push_back(port);
}

std::size_t PortPool::available() const {
  std::lock_guard lock(mu_);
  return free_.size();
}

PortPool::~PortPool() {
  for (const auto& [token, r] : reservations_) {
    if (r.fd >= 0)
      ::close(r.fd);
  }
}

std::uint64_t PortPool::reserve(std::uint16_t port, int fd, std::uint64_t expires_s) {
  std::lock_guard lock(mu_);
  std::uint64_t token = 0;
  do {
    token = random_u64();
  } while (token == 0 || reservations_.count(token) != 0);
  reservations_[token] = {port, fd, expires_s};
  return token;
}

std::optional<PortPool::Reservation> PortPool::claim(std::uint64_t token, std::uint64_t now_s) {
  std::lock_guard lock(mu_);
  auto it = reservations_.find(token);
  if (it == reservations_.end() || it->second.expires_s < now_s)
    return std::nullopt;
  const Reservation r = it->second;
  reservations_.erase(it);
  return r;
}

void PortPool::expire_reservations(std::uint64_t now_s) {
  std::vector<std::uint16_t> freed;
  {
    std::lock_guard lock(mu_);
    for (auto it = reservations_.begin(); it != reservations_.end();) {
      if (it->second.expires_s < now_s) {
        freed.push_back(it->second.port);
        if (it->second.fd >= 0)
          ::close(it->second.fd);
        it = reservations_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto p : freed)
    put(p);
}

}  // namespace turn

namespace turn {

void PortPool::cancel_reservation(std::uint64_t token) {
  std::optional<std::uint16_t> freed;
  {
    std::lock_guard lock(mu_);
    auto it = reservations_.find(token);
    if (it == reservations_.end())
      return;
    freed = it->second.port;
    if (it->second.fd >= 0)
      ::close(it->second.fd);
    reservations_.erase(it);
  }
  put(*freed);
}

std::size_t PortPool::reservations() const {
  std::lock_guard lock(mu_);
  return reservations_.size();
}

}  // namespace turn
