#include "userdb/snapshot.hpp"

#include <algorithm>
#include <ctime>

#include "userdb/rest_api.hpp"

namespace turn {

void UserDbSnapshot::add_user(const std::string& realm, const std::string& name,
                              const std::string& secret) {
  UserKeys keys;
  if (auto hex = parse_hex_key(secret)) {
    keys.md5 = *hex;
  } else {
    keys.md5 = stun::long_term_key_md5(name, realm, secret);
    keys.sha256 = stun::long_term_key_sha256(name, realm, secret);
  }
  add_user_key(realm, name, keys);
}

void UserDbSnapshot::add_user_key(const std::string& realm, const std::string& name,
                                  const UserKeys& keys) {
  users_[realm][name] = keys;
  by_hash_[realm][stun::userhash(name, realm)] = name;
}

void UserDbSnapshot::add_secret(const std::string& realm, const std::string& secret) {
  auto& list = secrets_[realm];
  if (std::find(list.begin(), list.end(), secret) == list.end())
    list.push_back(secret);
}

std::vector<std::string> UserDbSnapshot::secrets_for(std::string_view realm) const {
  std::vector<std::string> out;
  auto append = [&](std::string_view r) {
    auto it = secrets_.find(r);
    if (it == secrets_.end())
      return;
    for (const auto& s : it->second) {
      if (std::find(out.begin(), out.end(), s) == out.end())
        out.push_back(s);
    }
  };
  append(realm);
  if (!realm.empty())
    append("");
  return out;
}

std::optional<UserKeys> UserDbSnapshot::find(std::string_view user, std::string_view realm) const {
  auto keys = candidates(user, realm, static_cast<std::int64_t>(std::time(nullptr)));
  if (keys.empty())
    return std::nullopt;
  return keys.front();
}

std::vector<UserKeys> UserDbSnapshot::candidates(std::string_view user, std::string_view realm,
                                                 std::int64_t now_s) const {
  std::vector<UserKeys> out;
  if (rest_enabled_) {
    // coturn: the credential is good while expiry >= now (turn_time_before(ts, now) fails).
    if (auto expiry = userdb::rest_expiry(user, separator_); expiry && *expiry >= now_s) {
      for (const auto& secret : secrets_for(realm)) {
        const std::string password = userdb::rest_password(secret, user);
        out.push_back({stun::long_term_key_md5(user, realm, password),
                       stun::long_term_key_sha256(user, realm, password)});
      }
    }
  }
  if (auto r = users_.find(realm); r != users_.end()) {
    if (auto u = r->second.find(user); u != r->second.end())
      out.push_back(u->second);
  }
  return out;
}

std::optional<std::string> UserDbSnapshot::find_by_userhash(const stun::Userhash& hash,
                                                            std::string_view realm) const {
  auto r = by_hash_.find(realm);
  if (r == by_hash_.end())
    return std::nullopt;
  auto it = r->second.find(hash);
  if (it == r->second.end())
    return std::nullopt;
  return it->second;
}

const RealmOptions* UserDbSnapshot::realm_options(std::string_view realm) const {
  auto it = realm_options_.find(realm);
  return it == realm_options_.end() ? nullptr : &it->second;
}

std::size_t UserDbSnapshot::user_count() const {
  std::size_t n = 0;
  for (const auto& [realm, users] : users_)
    n += users.size();
  return n;
}

std::size_t UserDbSnapshot::secret_count() const {
  std::size_t n = 0;
  for (const auto& [realm, list] : secrets_)
    n += list.size();
  return n;
}

}  // namespace turn
