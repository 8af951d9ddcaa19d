// The send schedule of the paced shapes (audio, video, hold).
//
// Every client sends on the same period, client k offset by k/N of it so that the load is spread
// evenly instead of arriving in one spike per period. Sorted by due time those events form a fixed
// round robin, so the sorted schedule needs no heap: event j belongs to client j mod N and is due
// at start + j * period / N. Taking the next event is O(1).
#pragma once

#include <cstddef>
#include <cstdint>

namespace load {

class RoundRobinSchedule {
 public:
  RoundRobinSchedule(std::uint64_t start_ns, double period_ns, std::size_t clients)
      : start_(start_ns), spacing_(period_ns / static_cast<double>(clients)), clients_(clients) {}

  std::uint64_t next_due() const {
    return start_ + static_cast<std::uint64_t>(static_cast<double>(next_) * spacing_);
  }
  /// Position (0..N-1) of the client the next event belongs to.
  std::size_t next_client() const { return static_cast<std::size_t>(next_ % clients_); }
  void advance() { ++next_; }

 private:
  std::uint64_t start_;
  double spacing_;
  std::size_t clients_;
  std::uint64_t next_ = 0;
};

}  // namespace load
