// coturn's database connection strings: `key=value` pairs separated by spaces, as in
// `redis-userdb="ip=127.0.0.1 dbname=0 password=... port=6379 connect_timeout=30"` and
// `mysql-userdb="host=... dbname=... user=... password=... port=... connect_timeout=..."`.
// (PostgreSQL's is libpq's own conninfo, handed to libpq unparsed.)
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace turn::userdb {

class ConnectionString {
 public:
  /// Parses `text`; a value may be quoted with single quotes (\' and \\ escaped), as libpq
  /// allows. Throws UserDbError on a token without '='.
  static ConnectionString parse(std::string_view text);

  std::optional<std::string> get(std::string_view key) const;
  std::string get_or(std::string_view key, std::string fallback) const;
  /// A non-negative integer value, `fallback` when absent; throws UserDbError when malformed.
  unsigned number_or(std::string_view key, unsigned fallback) const;
  /// Throws UserDbError naming the first key not in `known` (a misspelt key would otherwise
  /// connect somewhere the operator did not mean).
  void require_known(std::initializer_list<std::string_view> known, std::string_view what) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace turn::userdb
