// Where long-term credentials come from. The full user-db work (SQLite, REST secrets, live
// reload) plugs in behind this interface; lookups are in-memory and never block a worker.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "stun/integrity.hpp"

namespace turn {

/// The keys of one user in one realm. The SHA-256 key exists only when the password is known
/// (a `0x` MD5 key cannot be turned into it).
struct UserKeys {
  stun::Md5Key md5{};
  std::optional<stun::Sha256Key> sha256;
};

class UserDb {
 public:
  virtual ~UserDb() = default;
  virtual std::optional<UserKeys> find(std::string_view user, std::string_view realm) const = 0;
  /// RFC 8489 §14.4 USERHASH: the user whose SHA-256(user:realm) this is.
  virtual std::optional<std::string> find_by_userhash(const stun::Userhash& hash,
                                                      std::string_view realm) const = 0;
};

using UserDbPtr = std::shared_ptr<const UserDb>;

/// Users from `user=` lines and from a flat file of `name:password` / `name:0x<key>` lines
/// (rfc5766-turn-server's turnuserdb.conf), all in one realm.
class StaticUserDb final : public UserDb {
 public:
  /// Throws std::runtime_error naming file:line on a malformed flat-file line.
  static std::shared_ptr<StaticUserDb> load(const Config& config);

  void add(const std::string& name, const std::string& secret, const std::string& realm);
  std::size_t size() const { return users_.size(); }

  std::optional<UserKeys> find(std::string_view user, std::string_view realm) const override;
  std::optional<std::string> find_by_userhash(const stun::Userhash& hash,
                                              std::string_view realm) const override;

 private:
  std::string realm_;
  std::map<std::string, UserKeys, std::less<>> users_;
  std::map<stun::Userhash, std::string> by_hash_;
};

/// Parses "0x" + 32 hex digits into an MD5 key.
std::optional<stun::Md5Key> parse_hex_key(std::string_view text);

}  // namespace turn
