// The built-in brute-force ban, with fail2ban's semantics and defaults (maxretry 10 failures
// within findtime 300 s ban the source for bantime 300 s), and the per-source limit on the
// auth-failure lines fail2ban reads. Only failures of requests that carried a nonce this server
// issued to the source IP reach it (the stateless nonce proves the source saw our answer, so a
// spoofed source cannot get a victim banned). Shared by the workers; touched under its mutex on
// a failure, read lock-free (any()) on every datagram, copied by workers when bans change.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "net/source_key.hpp"

namespace turn {

struct BanPolicy {
  bool enabled = true;
  unsigned maxretry = 10;
  unsigned findtime_s = 300;
  unsigned bantime_s = 300;
  std::vector<AddressRange> ignore;  ///< sources never banned (their failures are still logged)

  static BanPolicy from(const Config& c) {
    return {c.auth_ban, c.auth_ban_maxretry, c.auth_ban_findtime, c.auth_ban_bantime,
            c.auth_ban_ignoreip};
  }
};

class BanList {
 public:
  /// Sources tracked at most; the one whose last failure is oldest makes room for a new one.
  static constexpr std::size_t kMaxTracked = 65536;
  /// Past maxretry failures (ban off, or an ignored source), one line per source this often.
  static constexpr std::uint64_t kQuietLineIntervalS = 10;

  explicit BanList(BanPolicy policy) : policy_(std::move(policy)) {}

  /// Reload: new thresholds apply to later failures; running bans keep their end time.
  void set_policy(BanPolicy policy);

  struct Failure {
    bool log = false;              ///< write this failure's line
    std::uint64_t suppressed = 0;  ///< this source's lines skipped since its last written one
    bool banned = false;           ///< this failure started a ban: log that too
    unsigned recent = 0;           ///< failures within findtime, this one included
  };
  /// One authentication failure of a verified source at wall-clock second `now_s`. The first
  /// maxretry lines within findtime are always written (they are what fail2ban counts, the last
  /// of them the one that starts its ban); later ones once per kQuietLineIntervalS.
  Failure record_failure(const stun::SocketAddress& source, std::uint64_t now_s);

  /// Lock-free: false when nobody is banned (the fast path of every datagram).
  bool any() const { return active_.load(std::memory_order_relaxed) != 0; }
  /// Changes whenever a ban starts or ends: workers re-copy the bans when it moves.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  /// The running bans (source, wall-clock second it ends).
  void copy_bans(std::vector<std::pair<SourceKey, std::uint64_t>>& out) const;
  /// Under the mutex: whether `source` is banned at `now_s` (tests, control path).
  bool banned(const stun::SocketAddress& source, std::uint64_t now_s) const;
  /// Ends the bans whose time is up and returns their sources as shown in the ban line.
  std::vector<std::string> expire(std::uint64_t now_s);

  struct Ban {
    std::string source;         ///< as shown(): an IPv4 address or an IPv6 /64
    std::uint64_t until_s = 0;  ///< wall-clock second it ends
  };
  /// The running bans, soonest to end first (the admin API's list).
  std::vector<Ban> bans() const;
  /// Ends the ban of `source` (as shown()) now, and forgets its failures; false when it was not
  /// banned. Workers see it at their next datagram (the generation moves).
  bool unban(const std::string& source);

  std::size_t banned_count() const { return active_.load(std::memory_order_relaxed); }
  std::uint64_t bans_total() const { return bans_total_.load(std::memory_order_relaxed); }

  /// "203.0.113.7", or "2001:db8:1:2::/64" for IPv6 (bans cover the /64).
  static std::string shown(const stun::SocketAddress& source);

 private:
  struct Entry {
    std::vector<std::uint64_t> failures;  ///< times within findtime, oldest first, <= maxretry
    std::uint64_t banned_until = 0;       ///< 0: not banned
    std::string shown;
    std::uint64_t last_line_s = 0;
    std::uint64_t suppressed = 0;
    std::list<SourceKey>::iterator lru;
  };
  void forget_oldest_locked();

  mutable std::mutex mu_;
  BanPolicy policy_;
  std::unordered_map<SourceKey, Entry, SourceKeyHash> entries_;
  std::list<SourceKey> lru_;  ///< least recently failed first
  std::atomic<std::uint32_t> active_{0};
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> bans_total_{0};
};

/// A worker's copy of the bans, refreshed when the list's generation moves: the check on every
/// datagram is an atomic load while nobody is banned, a hash lookup while someone is.
class BanCache {
 public:
  bool banned(const BanList& list, const stun::SocketAddress& source, std::uint64_t now_s);

 private:
  std::uint64_t generation_ = ~std::uint64_t{0};
  std::vector<std::pair<SourceKey, std::uint64_t>> scratch_;
  std::unordered_map<SourceKey, std::uint64_t, SourceKeyHash> until_;
};

}  // namespace turn
