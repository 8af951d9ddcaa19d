// Keeps allocations, permissions and channels alive while traffic runs (a hold of more than a few
// minutes). The sender thread owns the sessions during traffic; the receiver thread only hands
// over the STUN responses it finds among the data, through a mutex-protected queue that is
// touched once per response, never per data packet.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "client.hpp"

namespace load {

class Keepalive {
 public:
  /// Channels (600 s) and permissions (300 s) are renewed with the allocation, every
  /// min(lifetime / 2, 240 s).
  static constexpr std::uint64_t kMaxPeriodNs = 240ull * 1'000'000'000ull;

  Keepalive(std::vector<Client>& clients, const std::vector<std::uint32_t>& active, bool enabled,
            std::uint64_t start_ns);

  /// Receiver thread: a STUN response arrived for `client`.
  void post(std::uint32_t client, stun::Bytes message);
  /// Sender thread: handles posted responses, starts due keepalives, runs retransmissions.
  void poll(std::uint64_t now);
  std::uint64_t failures() const { return failures_; }

 private:
  void act(Client& c, TurnSession::Status s, std::uint64_t now);

  std::vector<Client>& clients_;
  const std::vector<std::uint32_t>& active_;
  bool enabled_;
  std::vector<std::uint64_t> next_due_;  // by client index
  std::uint64_t next_scan_ = 0;
  std::uint64_t failures_ = 0;

  std::mutex mutex_;
  std::atomic<bool> posted_{false};
  std::vector<std::pair<std::uint32_t, std::vector<std::uint8_t>>> inbox_;
  std::vector<std::pair<std::uint32_t, std::vector<std::uint8_t>>> work_;
};

}  // namespace load
