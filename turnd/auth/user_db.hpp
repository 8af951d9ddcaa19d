// StaticUserDb: `user=` lines plus a flat file in one realm. The UserDb interface lives in
// userdb/keys.hpp; the full database (SQLite, REST secrets, live reload) is userdb/source.hpp.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "stun/integrity.hpp"
#include "userdb/keys.hpp"

namespace turn {

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

}  // namespace turn
