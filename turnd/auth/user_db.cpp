#include "auth/user_db.hpp"

#include <fstream>
#include <stdexcept>

namespace turn {

void StaticUserDb::add(const std::string& name, const std::string& secret,
                       const std::string& realm) {
  realm_ = realm;
  UserKeys keys;
  if (auto hex = parse_hex_key(secret)) {
    keys.md5 = *hex;
  } else {
    keys.md5 = stun::long_term_key_md5(name, realm, secret);
    keys.sha256 = stun::long_term_key_sha256(name, realm, secret);
  }
  users_[name] = keys;
  by_hash_[stun::userhash(name, realm)] = name;
}

std::shared_ptr<StaticUserDb> StaticUserDb::load(const Config& config) {
  auto db = std::make_shared<StaticUserDb>();
  db->realm_ = config.realm;
  if (!config.userdb.empty()) {
    std::ifstream in(config.userdb);
    if (!in)
      throw std::runtime_error(config.userdb + ": cannot read the user database");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
      if (line.empty() || line[0] == '#')
        continue;
      const auto colon = line.find(':');
      if (colon == std::string::npos || colon == 0) {
        throw std::runtime_error(config.userdb + ":" + std::to_string(number) +
                                 ": expected name:password or name:0xKEY");
      }
      db->add(line.substr(0, colon), line.substr(colon + 1), config.realm);
    }
  }
  for (const auto& u : config.users)
    db->add(u.name, u.secret, config.realm);
  return db;
}

std::optional<UserKeys> StaticUserDb::find(std::string_view user, std::string_view realm) const {
  if (realm != realm_)
    return std::nullopt;
  auto it = users_.find(user);
  if (it == users_.end())
    return std::nullopt;
  return it->second;
}

std::optional<std::string> StaticUserDb::find_by_userhash(const stun::Userhash& hash,
                                                          std::string_view realm) const {
  if (realm != realm_)
    return std::nullopt;
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end())
    return std::nullopt;
  return it->second;
}

}  // namespace turn
