// A user database on a server (Redis, PostgreSQL, MySQL/MariaDB), read whole into the same
// DbContents the SQLite database gives, over a connection that is made again after it broke.
// Blocking I/O with bounded waits: used by RemoteDbWatcher's thread, turnd's startup and
// turnadmin, never by a worker loop.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "userdb/admin_store.hpp"
#include "userdb/redis_client.hpp"
#include "userdb/sql_connection.hpp"
#include "userdb/sqlite_db.hpp"

namespace turn::userdb {

struct RemoteDbSpec {
  DbKind kind = DbKind::kMissing;  ///< kRedis, kPostgres, kMysql; kMissing: none configured
  std::string connection;          ///< the connection string as configured (has the password)

  bool configured() const { return kind != DbKind::kMissing; }
  /// Which database server `config` names, if any (Config's validate() allows one).
  static RemoteDbSpec from(const Config& config);
  /// "Redis 127.0.0.1:6379 db 0", "PostgreSQL host=... password=*** ...": for logs.
  std::string describe() const;
  bool operator==(const RemoteDbSpec&) const = default;
};

class RemoteDb {
 public:
  explicit RemoteDb(RemoteDbSpec spec) : spec_(std::move(spec)) {}

  /// Connects if not connected, then reads every table (every key). Throws UserDbError and
  /// drops the connection, so the next call connects again.
  DbContents read();

  /// A descriptor that becomes readable when the database announces a change (Redis keyspace
  /// notifications), -1 when it cannot (then the caller reads every `userdb-refresh` s).
  int change_fd();
  /// After change_fd() was readable: true when a change was announced. A broken subscription
  /// is dropped (change_fd() tries again later) and reads as a change.
  bool changes_announced();

  const RemoteDbSpec& spec() const { return spec_; }

 private:
  RemoteDbSpec spec_;
  std::unique_ptr<SqlConnection> sql_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<RedisClient> subscriber_;
  bool notifications_off_ = false;  ///< the server said it has none: stop asking
};

/// turnadmin -N / -e / -M: the store on that server.
std::unique_ptr<AdminStore> open_remote_store(const RemoteDbSpec& spec);

}  // namespace turn::userdb
