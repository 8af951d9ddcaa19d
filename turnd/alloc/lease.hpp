// A resource an allocation holds (a relay socket and its port, a user-quota slot, a share of
// bps-capacity, a reserved port): given back exactly once, when the lease is destroyed, so every
// way an allocation ends (Refresh 0, expiry, a closed connection, shutdown, a failed Allocate
// half-way through) releases everything it took, without a hand-written rollback.
#pragma once

#include <functional>
#include <utility>

namespace turn {

class Lease {
 public:
  Lease() = default;
  explicit Lease(std::function<void()> release) : release_(std::move(release)) {}
  Lease(Lease&& o) noexcept : release_(std::exchange(o.release_, nullptr)) {}
  Lease& operator=(Lease&& o) noexcept {
    if (this != &o) {
      reset();
      release_ = std::exchange(o.release_, nullptr);
    }
    return *this;
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { reset(); }

  /// Gives the resource back now (idempotent).
  void reset() {
    if (auto release = std::exchange(release_, nullptr))
      release();
  }
  /// Keeps the resource without ever giving it back here (its new owner releases it).
  void forget() { release_ = nullptr; }
  bool held() const { return static_cast<bool>(release_); }

 private:
  std::function<void()> release_;
};

}  // namespace turn
