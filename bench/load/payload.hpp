// The probe payload every packet carries, and the measured window it is judged against.
//
// Layout (big-endian): 8-byte send time (CLOCK_MONOTONIC ns), 4-byte client index, 4-byte
// sequence number, the rest zero. Because the send time travels with the packet, the sender, the
// echo peer and the receiver each decide on their own whether a packet belongs to the measured
// window: no counter has to be reset across threads when warmup ends.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "stun/bytes.hpp"

namespace load {

inline constexpr std::size_t kStampSize = 16;

struct Stamp {
  std::uint64_t sent_ns = 0;
  std::uint32_t client = 0;
  std::uint32_t seq = 0;
};

/// Writes the stamp into the first 16 bytes of `payload` (which is at least that long) and
/// zeroes the rest.
inline void write_stamp(std::uint8_t* payload, std::size_t size, const Stamp& s) {
  stun::store_u64(payload, s.sent_ns);
  stun::store_u32(payload + 8, s.client);
  stun::store_u32(payload + 12, s.seq);
  std::memset(payload + kStampSize, 0, size - kStampSize);
}

inline bool read_stamp(const std::uint8_t* payload, std::size_t size, Stamp& s) {
  if (size < kStampSize)
    return false;
  s.sent_ns = stun::load_u64(payload);
  s.client = stun::load_u32(payload + 8);
  s.seq = stun::load_u32(payload + 12);
  return true;
}

/// The measured window [start, end) in send-time terms. Both ends start "never" (max) and are set
/// once each by the main thread.
class Window {
 public:
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};

  void open(std::uint64_t now) { start_.store(now, std::memory_order_release); }
  void close(std::uint64_t now) { end_.store(now, std::memory_order_release); }
  std::uint64_t start() const { return start_.load(std::memory_order_acquire); }
  std::uint64_t end() const { return end_.load(std::memory_order_acquire); }
  bool contains(std::uint64_t sent_ns) const { return sent_ns >= start() && sent_ns < end(); }

 private:
  std::atomic<std::uint64_t> start_{kNever};
  std::atomic<std::uint64_t> end_{kNever};
};

}  // namespace load
