#include "guard/ban_list.hpp"

#include <algorithm>

namespace turn {

void BanList::set_policy(BanPolicy policy) {
  std::lock_guard lock(mu_);
  policy_ = std::move(policy);
}

std::string BanList::shown(const stun::SocketAddress& source) {
  const stun::SocketAddress a = source.unmapped();
  if (a.is_v4())
    return a.ip_string();
  stun::SocketAddress prefix = a;
  std::fill(prefix.ip.begin() + 8, prefix.ip.end(), std::uint8_t{0});
  return prefix.ip_string() + "/64";
}

void BanList::forget_oldest_locked() {
  // Never forget a running ban: its entry is what workers' copies are rebuilt from.
  for (auto it = lru_.begin(); it != lru_.end(); ++it) {
    auto e = entries_.find(*it);
    if (e != entries_.end() && e->second.banned_until != 0)
      continue;
    entries_.erase(*it);
    lru_.erase(it);
    return;
  }
}

BanList::Failure BanList::record_failure(const stun::SocketAddress& source, std::uint64_t now_s) {
  const SourceKey key = SourceKey::of(source);
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxTracked)
      forget_oldest_locked();
    it = entries_.emplace(key, Entry{}).first;
    it->second.shown = shown(source);
    lru_.push_back(key);
    it->second.lru = std::prev(lru_.end());
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);  // most recently failed last
  }
  Entry& e = it->second;
  const std::uint64_t window_start = now_s >= policy_.findtime_s ? now_s - policy_.findtime_s : 0;
  std::erase_if(e.failures, [&](std::uint64_t t) { return t <= window_start; });
  // The first maxretry failures within findtime are what fail2ban counts; later ones (ban off,
  // or an ignored source) are past the point of a ban.
  const bool beyond_retries = e.failures.size() >= policy_.maxretry;
  e.failures.push_back(now_s);
  if (e.failures.size() > policy_.maxretry)
    e.failures.erase(e.failures.begin());  // only the last maxretry matter

  Failure f;
  f.recent = static_cast<unsigned>(e.failures.size());
  const bool starts_ban =
      policy_.enabled && e.failures.size() >= policy_.maxretry && e.banned_until == 0 &&
      std::none_of(policy_.ignore.begin(), policy_.ignore.end(),
                   [&](const AddressRange& r) { return r.contains(source.unmapped()); });
  if (!beyond_retries || starts_ban || now_s >= e.last_line_s + kQuietLineIntervalS) {
    f.log = true;
    f.suppressed = e.suppressed;
    e.suppressed = 0;
    e.last_line_s = now_s;
  } else {
    ++e.suppressed;
  }
  if (starts_ban) {
    e.banned_until = now_s + policy_.bantime_s;
    e.failures.clear();  // fail2ban: a ban resets the count
    f.banned = true;
    active_.fetch_add(1, std::memory_order_relaxed);
    bans_total_.fetch_add(1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  return f;
}

void BanList::copy_bans(std::vector<std::pair<SourceKey, std::uint64_t>>& out) const {
  out.clear();
  std::lock_guard lock(mu_);
  for (const auto& [key, e] : entries_) {
    if (e.banned_until != 0)
      out.emplace_back(key, e.banned_until);
  }
}

bool BanList::banned(const stun::SocketAddress& source, std::uint64_t now_s) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(SourceKey::of(source));
  return it != entries_.end() && it->second.banned_until > now_s;
}

std::vector<std::string> BanList::expire(std::uint64_t now_s) {
  std::vector<std::string> ended;
  if (!any())
    return ended;
  std::lock_guard lock(mu_);
  for (auto& [key, e] : entries_) {
    if (e.banned_until != 0 && e.banned_until <= now_s) {
      e.banned_until = 0;
      ended.push_back(e.shown);
    }
  }
  if (!ended.empty()) {
    active_.fetch_sub(static_cast<std::uint32_t>(ended.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  return ended;
}

std::vector<BanList::Ban> BanList::bans() const {
  std::vector<Ban> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, e] : entries_) {
      if (e.banned_until != 0)
        out.push_back({e.shown, e.banned_until});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Ban& a, const Ban& b) { return a.until_s < b.until_s; });
  return out;
}

bool BanList::unban(const std::string& source) {
  std::lock_guard lock(mu_);
  for (auto& [key, e] : entries_) {
    if (e.banned_until == 0 || e.shown != source)
      continue;
    e.banned_until = 0;
    e.failures.clear();
    active_.fetch_sub(1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    return true;
  }
  return false;
}

bool BanCache::banned(const BanList& list, const stun::SocketAddress& source, std::uint64_t now_s) {
  if (!list.any())
    return false;
  const std::uint64_t g = list.generation();
  if (g != generation_) {
    list.copy_bans(scratch_);
    until_.clear();
    for (const auto& [key, until] : scratch_)
      until_[key] = until;
    generation_ = g;
  }
  auto it = until_.find(SourceKey::of(source));
  return it != until_.end() && it->second > now_s;
}

}  // namespace turn
