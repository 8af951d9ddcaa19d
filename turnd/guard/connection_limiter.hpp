// Caps on the client connections one source and the whole server may hold (TCP/TLS
// connections and DTLS sessions: each costs a file descriptor, or memory and a handshake), so a
// connection flood from one address cannot exhaust the open-file limit for everyone. Shared by
// the workers; touched under a mutex when a connection opens or closes, never per packet.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "net/source_key.hpp"

namespace turn {

class ConnectionLimiter {
 public:
  enum class Refusal : std::uint8_t { kNone, kPerSource, kTotal };

  /// One counted connection; releases its count when destroyed (every way a connection ends).
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& o) noexcept : owner_(o.owner_), key_(o.key_) { o.owner_ = nullptr; }
    Slot& operator=(Slot&& o) noexcept {
      if (this != &o) {
        reset();
        owner_ = o.owner_;
        key_ = o.key_;
        o.owner_ = nullptr;
      }
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { reset(); }
    explicit operator bool() const { return owner_ != nullptr; }
    void reset() {
      if (owner_ != nullptr)
        owner_->release(key_);
      owner_ = nullptr;
    }

   private:
    friend class ConnectionLimiter;
    Slot(ConnectionLimiter* owner, SourceKey key) : owner_(owner), key_(key) {}
    ConnectionLimiter* owner_ = nullptr;
    SourceKey key_;
  };

  void set_limits(unsigned per_source, unsigned total) {
    std::lock_guard lock(mu_);
    per_source_ = per_source;
    total_limit_ = total;
  }

  /// A slot for a new connection from `source`, or an empty one (and `why`) when a cap is full.
  Slot acquire(const stun::SocketAddress& source, Refusal& why) {
    const SourceKey key = SourceKey::of(source);
    std::lock_guard lock(mu_);
    if (total_limit_ != 0 && total_ >= total_limit_) {
      why = Refusal::kTotal;
      return {};
    }
    unsigned& mine = per_source_count_[key];
    if (per_source_ != 0 && mine >= per_source_) {
      why = Refusal::kPerSource;
      return {};
    }
    ++mine;
    ++total_;
    why = Refusal::kNone;
    return Slot(this, key);
  }

  std::size_t total() const {
    std::lock_guard lock(mu_);
    return total_;
  }
  unsigned from(const stun::SocketAddress& source) const {
    std::lock_guard lock(mu_);
    auto it = per_source_count_.find(SourceKey::of(source));
    return it == per_source_count_.end() ? 0 : it->second;
  }

 private:
  void release(SourceKey key) {
    std::lock_guard lock(mu_);
    auto it = per_source_count_.find(key);
    if (it != per_source_count_.end() && --it->second == 0)
      per_source_count_.erase(it);
    --total_;
  }

  mutable std::mutex mu_;
  unsigned per_source_ = 0;
  unsigned total_limit_ = 0;
  std::size_t total_ = 0;
  std::unordered_map<SourceKey, unsigned, SourceKeyHash> per_source_count_;
};

}  // namespace turn
