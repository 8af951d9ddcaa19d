#include "userdb/source.hpp"

#include <sys/stat.h>

#include <charconv>
#include <ctime>

#include "userdb/flat_file.hpp"

namespace turn {
namespace {

using userdb::DbKind;

std::optional<std::uint64_t> parse_u64(const std::string& s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

void add_sqlite(UserDbSnapshot& snap, const userdb::DbContents& c, const std::string& path) {
  for (const auto& u : c.users) {
    UserKeys keys;
    if (!parse_hex(u.hmackey, keys.md5)) {
      snap.add_warning(path + ": turnusers_lt: user '" + u.name + "' in realm '" + u.realm +
                       "' has no 32-hex-digit MD5 hmackey; skipped");
      continue;
    }
    snap.add_user_key(u.realm, u.name, keys);
  }
  for (const auto& s : c.secrets) {
    // coturn reads secrets by realm; a row with realm '' is one more realm, not a wildcard.
    if (s.realm.empty()) {
      snap.add_warning(path + ": turn_secret: a secret without a realm is ignored");
      continue;
    }
    snap.add_secret(s.realm, s.key);
  }
  for (const auto& o : c.realm_options) {
    auto value = parse_u64(o.value);
    if (!value) {
      snap.add_warning(path + ": turn_realm_option: " + o.key + "[" + o.realm + "]='" + o.value +
                       "' is not a number; ignored");
      continue;
    }
    RealmOptions& opts = snap.realm_options_of(o.realm);
    if (o.key == "user-quota") {
      opts.user_quota = *value;
    } else if (o.key == "total-quota") {
      opts.total_quota = *value;
    } else if (o.key == "max-bps") {
      opts.max_bps = *value;
    } else {
      snap.add_warning(path + ": turn_realm_option: unknown option '" + o.key + "' ignored");
    }
  }
  for (const auto& r : c.allowed_peer_ips)
    snap.add_allowed_peer_ip({r.realm, r.key});
  for (const auto& r : c.denied_peer_ips)
    snap.add_denied_peer_ip({r.realm, r.key});
}

}  // namespace

UserDbSettings UserDbSettings::from(const Config& config) {
  UserDbSettings s;
  s.realm = config.realm;
  s.users = config.users;
  s.userdb = config.userdb;
  s.use_auth_secret = config.use_auth_secret;
  s.static_auth_secrets = config.static_auth_secrets;
  s.rest_api_separator = config.rest_api_separator;
  return s;
}

UserDbSource::UserDbSource(UserDbSettings settings) : settings_(std::move(settings)) {}

UserDbSource::~UserDbSource() = default;

UserDbSource::FileId UserDbSource::stat_file(const std::string& path) {
  FileId id;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return id;
  id.exists = true;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.ctime_ns = std::int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
  return id;
}

bool UserDbSource::changed() {
  if (!loaded_)
    return true;
  if (settings_.userdb.empty())
    return false;
  if (racy_)
    return true;
  if (stat_file(settings_.userdb) != main_id_)
    return true;
  if (kind_ != DbKind::kSqlite)
    return false;
  if (stat_file(settings_.userdb + "-wal") != wal_id_)
    return true;
  if (db_ && data_version_) {
    try {
      return db_->data_version() != *data_version_;
    } catch (const UserDbError&) {
      return true;  // let reload() report it
    }
  }
  return false;
}

std::shared_ptr<const UserDbSnapshot> UserDbSource::reload() {
  auto snap = std::make_shared<UserDbSnapshot>();
  if (settings_.use_auth_secret)
    snap->enable_rest(settings_.rest_api_separator);
  for (const auto& s : settings_.static_auth_secrets)
    snap->add_secret("", s);

  const std::string& path = settings_.userdb;
  loaded_ = true;
  if (!path.empty()) {
    // Remember the state before reading: a change while we read shows up as changed() later.
    const FileId before = stat_file(path);
    const DbKind kind = userdb::detect_db_kind(path);
    if (kind != DbKind::kSqlite || !db_ ||
        !(before.dev == main_id_.dev && before.ino == main_id_.ino)) {
      db_.reset();  // another file now, or no longer SQLite: reopen below if needed
    }
    main_id_ = before;
    wal_id_ = {};
    kind_ = kind;
    data_version_.reset();
    racy_ = false;
    switch (kind) {
      case DbKind::kMissing:
        snap->add_warning(path + ": the user database does not exist (yet); watching for it");
        break;
      case DbKind::kEmpty:
      case DbKind::kRedis:  // never a file's kind
      case DbKind::kPostgres:
      case DbKind::kMysql:
        break;
      case DbKind::kFlat: {
        bool exists = false;
        const std::string text = userdb::read_file(path, exists);
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        const std::int64_t now_ns = std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
        racy_ = now_ns - before.mtime_ns < 2'000'000'000;
        for (const auto& e : userdb::parse_flat_file(text, path))
          snap->add_user(settings_.realm, e.name, e.secret);
        break;
      }
      case DbKind::kSqlite: {
        try {
          // A short busy timeout: this runs on the main thread, and a writer's lock lasts
          // milliseconds.
          if (!db_)
            db_ = std::make_unique<userdb::Sqlite>(path, userdb::Sqlite::Mode::kRead, 2000);
          const auto contents = userdb::read_contents(*db_);
          data_version_ = contents.data_version;
          // After the read: opening a WAL database creates its -wal file. A commit after the
          // read still shows through data_version.
          wal_id_ = stat_file(path + "-wal");
          add_sqlite(*snap, contents, path);
        } catch (const userdb::SqliteBusy&) {
          db_.reset();
          main_id_ = {};  // locked, not broken: changed() asks for another try
          throw;
        } catch (...) {
          db_.reset();
          throw;
        }
        break;
      }
    }
  }
  if (remote_)
    add_sqlite(*snap, *remote_, remote_origin_);
  // Static users last: they win over a database user of the same name (coturn checks the
  // static accounts first).
  for (const auto& u : settings_.users)
    snap->add_user(settings_.realm, u.name, u.secret);
  return snap;
}

std::string UserDbSource::describe() const {
  if (!remote_origin_.empty())
    return remote_origin_;
  if (!settings_.userdb.empty())
    return settings_.userdb;
  return "(static users)";
}

std::shared_ptr<const UserDbSnapshot> load_user_db(const Config& config) {
  UserDbSource source(config);
  return source.reload();
}

}  // namespace turn
