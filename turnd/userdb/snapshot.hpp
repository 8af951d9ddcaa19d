// An immutable, in-memory view of every credential source turnd authenticates against: static
// `user=` lines, the user database (flat file or coturn SQLite), and TURN REST secrets. Built off
// the workers (UserDbSource::reload), then shared read-only through Authenticator::set_users.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "userdb/keys.hpp"

namespace turn {

/// Per-realm limits from coturn's turn_realm_option table (`turnadmin -g`); unset = the
/// server-wide configuration applies.
struct RealmOptions {
  std::optional<std::uint64_t> user_quota;
  std::optional<std::uint64_t> total_quota;
  std::optional<std::uint64_t> max_bps;
  bool operator==(const RealmOptions&) const = default;
};

/// One allowed_peer_ip / denied_peer_ip row: a range as coturn stores it ("ip" or "ip-ip").
struct RealmIpRange {
  std::string realm;
  std::string range;
};

class UserDbSnapshot final : public UserDb {
 public:
  /// How TURN REST usernames are read (coturn `use-auth-secret`, `rest-api-separator`).
  void enable_rest(char separator) {
    rest_enabled_ = true;
    separator_ = separator;
  }
  /// A user from a password or "0x" MD5 key. Replaces an earlier user of that name and realm.
  void add_user(const std::string& realm, const std::string& name, const std::string& secret);
  void add_user_key(const std::string& realm, const std::string& name, const UserKeys& keys);
  /// A REST shared secret of `realm`; realm "" = every realm (`static-auth-secret`).
  void add_secret(const std::string& realm, const std::string& secret);
  void set_realm_options(const std::string& realm, const RealmOptions& options) {
    realm_options_[realm] = options;
  }
  RealmOptions& realm_options_of(const std::string& realm) { return realm_options_[realm]; }
  void add_allowed_peer_ip(RealmIpRange r) { allowed_peer_ips_.push_back(std::move(r)); }
  void add_denied_peer_ip(RealmIpRange r) { denied_peer_ips_.push_back(std::move(r)); }
  void add_warning(std::string w) { warnings_.push_back(std::move(w)); }

  // UserDb
  std::optional<UserKeys> find(std::string_view user, std::string_view realm) const override;
  std::optional<std::string> find_by_userhash(const stun::Userhash& hash,
                                              std::string_view realm) const override;
  std::vector<UserKeys> candidates(std::string_view user, std::string_view realm,
                                   std::int64_t now_s) const override;

  /// The realm's limits from the database, or nullptr when it has none.
  const RealmOptions* realm_options(std::string_view realm) const;
  const std::map<std::string, RealmOptions, std::less<>>& all_realm_options() const {
    return realm_options_;
  }
  const std::vector<RealmIpRange>& allowed_peer_ips() const { return allowed_peer_ips_; }
  const std::vector<RealmIpRange>& denied_peer_ips() const { return denied_peer_ips_; }
  /// The secrets that apply to `realm`: the realm's own, then the every-realm ones.
  std::vector<std::string> secrets_for(std::string_view realm) const;
  bool rest_enabled() const { return rest_enabled_; }
  char rest_separator() const { return separator_; }
  std::size_t user_count() const;
  std::size_t secret_count() const;
  /// Problems met while loading that did not stop it (bad rows, unknown options), each naming
  /// where; for the caller to log.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  using Users = std::map<std::string, UserKeys, std::less<>>;
  std::map<std::string, Users, std::less<>> users_;  ///< realm -> name -> keys
  std::map<std::string, std::map<stun::Userhash, std::string>, std::less<>> by_hash_;
  std::map<std::string, std::vector<std::string>, std::less<>> secrets_;  ///< realm -> secrets
  std::map<std::string, RealmOptions, std::less<>> realm_options_;
  std::vector<RealmIpRange> allowed_peer_ips_;
  std::vector<RealmIpRange> denied_peer_ips_;
  std::vector<std::string> warnings_;
  bool rest_enabled_ = false;
  char separator_ = ':';
};

}  // namespace turn
