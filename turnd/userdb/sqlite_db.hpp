// coturn's SQLite user database (turndb): the exact schema coturn 4.6 creates, a small RAII
// wrapper, whole-database reads for the server's snapshot and transactional writes for
// turnadmin.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "userdb/keys.hpp"
#include "userdb/sql_connection.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace turn::userdb {

/// coturn's CREATE TABLE statements (dbd_sqlite.c init_sqlite_database), byte for byte as
/// `sqlite3 turndb .schema` prints them, tab characters in turn_realm_option included.
extern const std::array<std::string_view, 8> kCoturnSchema;

/// What a `userdb=` / `-b` path holds.
enum class DbKind : std::uint8_t {
  kMissing,  ///< no such file
  kEmpty,    ///< a 0-byte file (a new SQLite database or an empty flat file: no users either way)
  kSqlite,   ///< starts with "SQLite format 3\0" (or is 0 bytes with a non-empty -wal file)
  kFlat,     ///< anything else: a turnuserdb.conf-style text file
  // Database servers (redis-userdb, psql-userdb, mysql-userdb): never a file's kind.
  kRedis,
  kPostgres,
  kMysql,
};
DbKind detect_db_kind(const std::string& path);
const char* to_string(DbKind kind);

class Statement;

/// The database stayed locked by another connection for the whole busy timeout.
class SqliteBusy : public UserDbError {
 public:
  using UserDbError::UserDbError;
};

class Sqlite {
 public:
  enum class Mode : std::uint8_t {
    kRead,   ///< the file must exist; never written (PRAGMA query_only)
    kWrite,  ///< created when missing; coturn's tables are created when absent
  };
  /// Throws UserDbError. Every connection waits up to `busy_timeout_ms` for another's lock,
  /// then throws SqliteBusy.
  Sqlite(const std::string& path, Mode mode, int busy_timeout_ms = 10000);
  ~Sqlite();
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  void exec(const char* sql);
  Statement prepare(std::string_view sql);
  bool has_table(std::string_view name);
  /// PRAGMA data_version: changes whenever another connection commits.
  std::int64_t data_version();
  /// BEGIN IMMEDIATE (write) or BEGIN (read); COMMIT when `body` returns, ROLLBACK if it throws.
  /// Inside a transaction already open, `body` simply runs as part of it.
  void transaction(bool write, const std::function<void()>& body);
  int changes() const;

  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(Sqlite& db, sqlite3_stmt* st) : db_(&db), st_(st) {}
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  /// Binds text to the 1-based parameter `index`.
  Statement& bind(int index, std::string_view text);
  /// Steps once; true when a row is ready. Throws UserDbError on an error.
  bool step();
  /// Column text of the current row ("" for NULL).
  std::string text(int column) const;
  int columns() const;

 private:
  Sqlite* db_;
  sqlite3_stmt* st_;
};

/// Everything turnd reads from a coturn database.
struct DbContents {
  struct User {
    std::string realm, name, hmackey;
    bool operator==(const User&) const = default;
  };
  struct RealmValue {
    std::string realm, key, value;  ///< turn_secret: key = value; options: key = opt
    bool operator==(const RealmValue&) const = default;
  };
  std::vector<User> users;
  std::vector<RealmValue> secrets;        ///< turn_secret (realm, value)
  std::vector<RealmValue> realm_options;  ///< turn_realm_option (realm, opt, value)
  std::vector<RealmValue> allowed_peer_ips, denied_peer_ips;  ///< (realm, ip_range)
  std::vector<RealmValue> origins;  ///< turn_origin_to_realm (realm, origin)
  std::int64_t data_version = 0;
  bool operator==(const DbContents&) const = default;
};

/// Sqlite as an SqlConnection, so the statements shared with PostgreSQL and MySQL run on it.
class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(Sqlite& db) : db_(db) {}
  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  const std::string& describe() const override { return db_.path(); }
  std::vector<Row> query(std::string_view sql, Params params) override;
  bool has_table(std::string_view name) override { return db_.has_table(name); }
  void transaction(bool write, const std::function<void()>& body) override {
    db_.transaction(write, body);
  }

 private:
  Sqlite& db_;
};

/// Reads every table turnd uses in one read transaction; absent tables read as empty.
DbContents read_contents(Sqlite& db);

}  // namespace turn::userdb
