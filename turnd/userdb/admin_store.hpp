// The storage side of turnadmin: coturn's SQLite database (every table turnadmin manages) or a
// flat user file (users only). Each write is atomic and safe against concurrent turnadmin runs:
// SQLite writes run in a BEGIN IMMEDIATE transaction with a busy timeout, flat-file writes
// under an flock() with a temp file + rename.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "userdb/keys.hpp"
#include "userdb/sqlite_db.hpp"

namespace turn::userdb {

/// One listed row: `name` is the user, secret, admin, origin or option name.
struct AdminRow {
  std::string name;
  std::string realm;
  std::string value;  ///< realm options: the value
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;

  /// Opens `path` as turnadmin does: an SQLite file, a non-empty text file (flat), or, when
  /// missing or empty, a new SQLite database, or a new flat file if the name ends in ".conf"
  /// or ".txt" (rfc5766-turn-server's turnuserdb.conf). With `write` false nothing is created:
  /// a missing file lists as empty. Throws UserDbError.
  static std::unique_ptr<AdminStore> open(const std::string& path, bool write);

  virtual DbKind kind() const = 0;
  /// Adds or replaces a long-term user; `hex_key` = lowercase hex MD5(name:realm:password).
  virtual void set_user(const std::string& realm, const std::string& name,
                        const std::string& hex_key) = 0;
  virtual void delete_user(const std::string& realm, const std::string& name) = 0;
  /// Users of `realm` ordered by name, or of every realm ("") ordered by realm, name.
  virtual std::vector<AdminRow> list_users(const std::string& realm) = 0;

  // SQLite only (a flat file throws UserDbError saying so).
  virtual void set_secret(const std::string& realm, const std::string& secret);
  /// `secret` "" deletes every secret of the realm (--delete-all-secrets).
  virtual void delete_secret(const std::string& realm, const std::string& secret);
  virtual std::vector<AdminRow> list_secrets(const std::string& realm);
  /// Sets realm option `opt` (max-bps, user-quota, total-quota); 0 removes it.
  virtual void set_realm_option(const std::string& realm, const std::string& opt,
                                std::uint64_t value);
  virtual std::vector<AdminRow> list_realm_options(const std::string& realm);
  virtual void set_admin(const std::string& name, const std::string& realm,
                         const std::string& encrypted_password);
  virtual void delete_admin(const std::string& name);
  virtual std::vector<AdminRow> list_admins();
  virtual void add_origin(const std::string& origin, const std::string& realm);
  virtual void delete_origin(const std::string& origin);
  virtual std::vector<AdminRow> list_origins(const std::string& realm);

 protected:
  [[noreturn]] void unsupported(const char* what) const {
    throw UserDbError(unsupported_message(what));
  }
  virtual std::string unsupported_message(const char* what) const = 0;
};

/// coturn's `$5$<16 hex salt>$<64 hex SHA-256(salt bytes || password)>` (apputils.c
/// generate_enc_password), for admin_user and cli-password. `salt` = 8 random bytes when empty.
std::string encrypt_password(std::string_view password, std::string_view salt = {});
/// Checks a password against an encrypt_password() result.
bool check_encrypted_password(std::string_view password, std::string_view encrypted);

/// coturn's is_secure_username(): no space, tab, quote, backslash, CR/LF, and not both "union"
/// and "select" (case-insensitive).
bool is_secure_username(std::string_view name);

/// Why `name` (after SASLprep) cannot be stored as a user, or nullopt when it can. A flat user
/// file is "name:key" lines with '#' comments, so a ':' (another user's line after it), a
/// leading '#' (the user vanishes as a comment) or a control character (a line break) would let
/// a name forge or hide other users' entries; empty names match nothing.
std::optional<std::string> unstorable_username(std::string_view name);

/// coturn's get_canonic_origin(): "scheme://host:port" in lowercase, the scheme's default port
/// added; the input unchanged when it is no such URI.
std::string canonic_origin(std::string_view origin);

}  // namespace turn::userdb
