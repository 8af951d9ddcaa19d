// user-quota and total-quota (RFC 8656 §7.2: 486 Allocation Quota Reached). Shared by workers,
// touched on Allocate and on free only.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "alloc/lease.hpp"

namespace turn {

class QuotaTracker {
 public:
  QuotaTracker(unsigned user_quota, unsigned total_quota)
      : user_quota_(user_quota), total_quota_(total_quota) {}

  /// Counts one more allocation for `user`, or returns false if a quota would be exceeded.
  bool acquire(const std::string& user) {
    std::lock_guard lock(mu_);
    if (total_quota_ != 0 && total_ >= total_quota_)
      return false;
    unsigned& mine = per_user_[user];
    if (user_quota_ != 0 && mine >= user_quota_)
      return false;
    ++mine;
    ++total_;
    return true;
  }

  /// acquire() as a lease: the slot is given back when the lease ends. `user` must outlive the
  /// lease (the allocation holds both, the lease declared after the name).
  std::optional<Lease> lease(const std::string& user) {
    if (!acquire(user))
      return std::nullopt;
    return Lease(
        [](void* quota, std::uint64_t name) {
          static_cast<QuotaTracker*>(quota)->release(*reinterpret_cast<const std::string*>(name));
        },
        this, reinterpret_cast<std::uintptr_t>(&user));
  }

  /// True when total-quota is set and reached: the next Allocate of anyone gets 486.
  bool total_reached() {
    std::lock_guard lock(mu_);
    return total_quota_ != 0 && total_ >= total_quota_;
  }

  /// New limits (reload); allocations above them stay, new ones are refused until below.
  void set_limits(unsigned user_quota, unsigned total_quota) {
    std::lock_guard lock(mu_);
    user_quota_ = user_quota;
    total_quota_ = total_quota;
  }

  void release(const std::string& user) {
    std::lock_guard lock(mu_);
    auto it = per_user_.find(user);
    if (it == per_user_.end())
      return;
    if (--it->second == 0)
      per_user_.erase(it);
    --total_;
  }

 private:
  std::mutex mu_;
  unsigned user_quota_;
  unsigned total_quota_;
  unsigned total_ = 0;
  std::map<std::string, unsigned> per_user_;
};

}  // namespace turn
