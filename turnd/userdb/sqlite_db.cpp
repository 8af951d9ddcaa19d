#include "userdb/sqlite_db.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>

#include "userdb/keys.hpp"
#include "userdb/sql_queries.hpp"

namespace turn::userdb {

const std::array<std::string_view, 8> kCoturnSchema = {
    "CREATE TABLE turnusers_lt ( realm varchar(127) default '', name varchar(512), hmackey "
    "char(128), PRIMARY KEY (realm,name))",
    "CREATE TABLE turn_secret (realm varchar(127) default '', value varchar(127), primary key "
    "(realm,value))",
    "CREATE TABLE allowed_peer_ip (realm varchar(127) default '', ip_range varchar(256), primary "
    "key (realm,ip_range))",
    "CREATE TABLE denied_peer_ip (realm varchar(127) default '', ip_range varchar(256), primary "
    "key (realm,ip_range))",
    "CREATE TABLE turn_origin_to_realm (origin varchar(127),realm varchar(127),primary key "
    "(origin))",
    "CREATE TABLE turn_realm_option (realm varchar(127) default '',\topt varchar(32),\tvalue "
    "varchar(128),\tprimary key (realm,opt))",
    "CREATE TABLE oauth_key (kid varchar(128),ikm_key varchar(256),timestamp bigint default "
    "0,lifetime integer default 0,as_rs_alg varchar(64) default '',realm varchar(127) default "
    "'',primary key (kid))",
    "CREATE TABLE admin_user (name varchar(32), realm varchar(127), password varchar(127), "
    "primary key (name))",
};

namespace {

constexpr char kHeader[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                              'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

}  // namespace

DbKind detect_db_kind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return DbKind::kMissing;
  if (st.st_size == 0) {
    struct stat wal {};
    if (::stat((path + "-wal").c_str(), &wal) == 0 && wal.st_size > 0)
      return DbKind::kSqlite;
    return DbKind::kEmpty;
  }
  std::ifstream in(path, std::ios::binary);
  char head[sizeof kHeader] = {};
  in.read(head, sizeof head);
  if (in.gcount() == sizeof head && std::memcmp(head, kHeader, sizeof head) == 0)
    return DbKind::kSqlite;
  return DbKind::kFlat;
}

const char* to_string(DbKind kind) {
  switch (kind) {
    case DbKind::kMissing:
      return "missing";
    case DbKind::kEmpty:
      return "empty";
    case DbKind::kSqlite:
      return "SQLite";
    case DbKind::kFlat:
      return "flat file";
    case DbKind::kRedis:
      return "Redis";
    case DbKind::kPostgres:
      return "PostgreSQL";
    case DbKind::kMysql:
      return "MySQL";
  }
  return "?";
}

Sqlite::Sqlite(const std::string& path, Mode mode, int busy_timeout_ms) : path_(path) {
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (mode == Mode::kWrite ? SQLITE_OPEN_CREATE : 0);
  // Read mode still opens read-write (read-only when the OS says so) so that a hot journal left
  // by a crashed writer can be rolled back; query_only keeps this connection from writing.
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw UserDbError(path + ": cannot open the SQLite database: " + msg);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  if (mode == Mode::kRead)
    exec("PRAGMA query_only=1");
}

Sqlite::~Sqlite() {
  sqlite3_close(db_);
}

void Sqlite::fail(const std::string& what) const {
  const std::string msg = path_ + ": " + what + ": " + sqlite3_errmsg(db_);
  const int code = sqlite3_errcode(db_) & 0xFF;
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    throw SqliteBusy(msg);
  throw UserDbError(msg);
}

void Sqlite::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
    fail(sql);
}

Statement Sqlite::prepare(std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr) !=
      SQLITE_OK) {
    fail("cannot prepare '" + std::string(sql) + "'");
  }
  return Statement(*this, st);
}

bool Sqlite::has_table(std::string_view name) {
  auto st = prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
  st.bind(1, name);
  return st.step();
}

std::int64_t Sqlite::data_version() {
  auto st = prepare("PRAGMA data_version");
  if (!st.step())
    fail("PRAGMA data_version");
  return std::stoll(st.text(0));
}

int Sqlite::changes() const {
  return sqlite3_changes(db_);
}

void Sqlite::transaction(bool write, const std::function<void()>& body) {
  if (sqlite3_get_autocommit(db_) == 0) {
    body();  // nested: part of the transaction already open
    return;
  }
  exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
  try {
    body();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  exec("COMMIT");
}

Statement::~Statement() {
  sqlite3_finalize(st_);
}

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(st_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    db_->fail("cannot bind a parameter");
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  db_->fail("query failed");
}

int Statement::columns() const {
  return sqlite3_column_count(st_);
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(st_, column);
  if (p == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(st_, column)));
}

std::vector<SqlConnection::Row> SqliteConnection::query(std::string_view sql, Params params) {
  auto st = db_.prepare(sql);
  int i = 0;
  for (auto p : params)
    st.bind(++i, p);
  std::vector<Row> rows;
  while (st.step()) {
    Row row;
    for (int c = 0; c < st.columns(); ++c)
      row.push_back(st.text(c));
    rows.push_back(std::move(row));
  }
  return rows;
}

DbContents read_contents(Sqlite& db) {
  SqliteConnection conn(db);
  DbContents c;
  // data_version inside the same read transaction: it matches exactly the rows read.
  db.transaction(false, [&] {
    c = read_contents(static_cast<SqlConnection&>(conn));
    c.data_version = db.data_version();
  });
  return c;
}

}  // namespace turn::userdb
