// A resource an allocation holds (a relay socket and its port, a user-quota slot, a share of
// bps-capacity, a reserved port): given back exactly once, when the lease is destroyed, so every
// way an allocation ends (Refresh 0, expiry, a closed connection, shutdown, a failed Allocate
// half-way through) releases everything it took, without a hand-written rollback.
//
// A function pointer and two words, not a std::function: an allocation holds several leases,
// and ten thousand allocations must not pay a heap block or 32 bytes for each.
#pragma once

#include <cstdint>
#include <utility>

namespace turn {

class Lease {
 public:
  /// Gives the resource back: `release(owner, value)`.
  using Release = void (*)(void* owner, std::uint64_t value);

  Lease() = default;
  Lease(Release release, void* owner, std::uint64_t value)
      : release_(release), owner_(owner), value_(value) {}
  Lease(Lease&& o) noexcept
      : release_(std::exchange(o.release_, nullptr)), owner_(o.owner_), value_(o.value_) {}
  Lease& operator=(Lease&& o) noexcept {
    if (this != &o) {
      reset();
      release_ = std::exchange(o.release_, nullptr);
      owner_ = o.owner_;
      value_ = o.value_;
    }
    return *this;
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { reset(); }

  /// Gives the resource back now (idempotent).
  void reset() {
    if (Release release = std::exchange(release_, nullptr))
      release(owner_, value_);
  }
  bool held() const { return release_ != nullptr; }

 private:
  Release release_ = nullptr;
  void* owner_ = nullptr;
  std::uint64_t value_ = 0;
};

}  // namespace turn
