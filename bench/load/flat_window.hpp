// The closed loop of the flat shape: each client has W slots, a packet occupies one from send
// until its echo returns or it is declared lost (200 ms), and a new packet goes out only into a
// free slot. The sender fills slots, the receiver frees them, the sender expires them; all three
// claim a slot with one compare-and-swap on its sequence number, so an echo that arrives after its
// packet was declared lost finds the slot reused (or free) and is ignored, and a loss is counted
// once.
//
// A slot's sequence numbers are slot, slot + W, slot + 2W, ...: the receiver finds the slot of an
// echo as seq % W.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace load {

class FlatWindow {
 public:
  static constexpr std::uint32_t kFree = ~std::uint32_t{0};
  static constexpr std::uint64_t kLossTimeoutNs = 200'000'000;

  FlatWindow(std::size_t clients, std::size_t window)
      : window_(window),
        seq_(new std::atomic<std::uint32_t>[clients * window]),
        sent_ns_(new std::uint64_t[clients * window]()),
        generation_(new std::uint32_t[clients * window]()),
        inflight_(new std::atomic<std::uint32_t>[clients]) {
    for (std::size_t i = 0; i < clients * window; ++i)
      seq_[i].store(kFree, std::memory_order_relaxed);
    for (std::size_t i = 0; i < clients; ++i)
      inflight_[i].store(0, std::memory_order_relaxed);
  }

  std::size_t window() const { return window_; }
  std::size_t room(std::size_t client) const {
    return window_ - inflight_[client].load(std::memory_order_acquire);
  }

  // Sender side.
  /// Claims a free slot of `client` for a packet sent at `now`; returns its sequence number, or
  /// kFree when every slot is taken. `from` is where the search starts (updated).
  std::uint32_t claim(std::size_t client, std::size_t& from, std::uint64_t now) {
    for (; from < window_; ++from) {
      const std::size_t i = client * window_ + from;
      if (seq_[i].load(std::memory_order_relaxed) != kFree)
        continue;
      const auto seq = static_cast<std::uint32_t>(generation_[i]++ * window_ + from);
      sent_ns_[i] = now;
      seq_[i].store(seq, std::memory_order_release);
      inflight_[client].fetch_add(1, std::memory_order_acq_rel);
      ++from;
      return seq;
    }
    return kFree;
  }
  /// Gives back a slot whose packet could not be sent.
  void unclaim(std::size_t client, std::uint32_t seq) { release(client, seq); }
  /// Frees slots whose packet has been out longer than the loss timeout. Returns how many.
  std::size_t expire(std::size_t client, std::uint64_t now) {
    std::size_t n = 0;
    for (std::size_t s = 0; s < window_; ++s) {
      const std::size_t i = client * window_ + s;
      const std::uint32_t seq = seq_[i].load(std::memory_order_acquire);
      if (seq != kFree && now - sent_ns_[i] > kLossTimeoutNs && release(client, seq))
        ++n;
    }
    return n;
  }

  // Receiver side.
  /// An echo of `seq` came back: true when its packet was still outstanding (and now is not).
  bool release(std::size_t client, std::uint32_t seq) {
    std::uint32_t expected = seq;
    if (!seq_[client * window_ + seq % window_].compare_exchange_strong(expected, kFree,
                                                                        std::memory_order_acq_rel))
      return false;
    inflight_[client].fetch_sub(1, std::memory_order_acq_rel);
    return true;
  }

 private:
  std::size_t window_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> seq_;
  std::unique_ptr<std::uint64_t[]> sent_ns_;     // sender only
  std::unique_ptr<std::uint32_t[]> generation_;  // sender only
  std::unique_ptr<std::atomic<std::uint32_t>[]> inflight_;
};

}  // namespace load
