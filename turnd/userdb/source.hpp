// Where turnd's user snapshot comes from, and how it notices that the database changed.
//
// Threading: everything here does blocking file and SQLite I/O. Call it from the main thread
// (a 1 s timer, SIGHUP), never from a worker loop, then hand the snapshot to the workers with
// Authenticator::set_users. Not thread-safe: one thread owns a UserDbSource.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "userdb/snapshot.hpp"
#include "userdb/sqlite_db.hpp"

namespace turn {

/// What the snapshot is built from: the user-database part of a Config.
struct UserDbSettings {
  std::string realm;
  std::vector<StaticUser> users;
  std::string userdb;  ///< "" = none
  bool use_auth_secret = false;
  std::vector<std::string> static_auth_secrets;
  char rest_api_separator = ':';

  static UserDbSettings from(const Config& config);
};

class UserDbSource {
 public:
  explicit UserDbSource(UserDbSettings settings);
  explicit UserDbSource(const Config& config) : UserDbSource(UserDbSettings::from(config)) {}
  ~UserDbSource();
  UserDbSource(const UserDbSource&) = delete;
  UserDbSource& operator=(const UserDbSource&) = delete;

  /// Builds a new snapshot from the configuration and the database as it is now. Throws
  /// UserDbError (naming file:line for a flat file) when the database cannot be read; the
  /// caller keeps its previous snapshot. Either way the database's current state is remembered,
  /// so a broken file is read again only after it changes again; a database that stayed locked
  /// (SqliteBusy) makes changed() true again for a retry.
  std::shared_ptr<const UserDbSnapshot> reload();

  /// True when the database may differ from what the last reload() read: the file appeared,
  /// vanished or was replaced, or its (or its -wal file's) size, mtime or ctime moved, or,
  /// for SQLite, PRAGMA data_version moved. Costs one or two stat() calls and, for SQLite, one
  /// query on a kept connection. True before the first reload(), and for a flat file for 2 s
  /// after it was last modified (a same-size rewrite within one timestamp tick).
  bool changed();

  /// The contents last read from the database server (redis-userdb, psql-userdb,
  /// mysql-userdb), merged into every snapshot; `origin` names it in warnings. Set by the
  /// caller, which reads the server off the main thread (RemoteDbWatcher).
  void set_remote(std::string origin, std::optional<userdb::DbContents> contents) {
    remote_origin_ = std::move(origin);
    remote_ = std::move(contents);
  }
  const std::optional<userdb::DbContents>& remote() const { return remote_; }

  const std::string& path() const { return settings_.userdb; }
  /// What the users come from, for log lines: the file, the server, or "static users".
  std::string describe() const;
  userdb::DbKind kind() const { return kind_; }

 private:
  /// stat() of one file, enough to see a change.
  struct FileId {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  static FileId stat_file(const std::string& path);

  UserDbSettings settings_;
  bool loaded_ = false;
  userdb::DbKind kind_ = userdb::DbKind::kMissing;
  FileId main_id_;
  FileId wal_id_;
  std::unique_ptr<userdb::Sqlite> db_;  ///< kept open for data_version (SQLite only)
  std::optional<std::int64_t> data_version_;
  /// A flat file modified within the last 2 s when read: another same-size write in the same
  /// coarse timestamp tick would be invisible to stat(), so it is read again until it settles
  /// (git's "racily clean" index problem).
  bool racy_ = false;
  std::string remote_origin_;
  std::optional<userdb::DbContents> remote_;
};

/// One-shot: the snapshot for `config` (throws UserDbError).
std::shared_ptr<const UserDbSnapshot> load_user_db(const Config& config);

}  // namespace turn
