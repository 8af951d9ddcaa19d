// UserDbSource: loading from the configuration, change detection for live reload, and the
// user-db configuration options.
#include "userdb/source.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "config/config_loader.hpp"
#include "support.hpp"
#include "userdb/admin_store.hpp"
#include "userdb/flat_file.hpp"
#include "userdb/keys.hpp"
#include "userdb/rest_api.hpp"

namespace {

turn::Config config_from(const std::string& text, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  std::vector<turn::ConfigEntry> entries;
  int n = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    turn::ConfigEntry e;
    if (turn::parse_config_line(rest.substr(0, nl), "test.conf:" + std::to_string(++n), e, w))
      entries.push_back(e);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  auto c = turn::apply_entries(entries, {}, w);
  if (warnings != nullptr)
    *warnings = w;
  return c;
}

std::string config_error(const std::string& text) {
  try {
    config_from(text);
  } catch (const turn::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

void settle() {
  // A different size is seen at once; this keeps same-size rewrites apart in time as well.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

TEST_CASE("config: one user database at most, named with where the other one is") {
  const std::string err =
      config_error("realm=r\nuserdb=/tmp/x.db\nredis-userdb=\"ip=127.0.0.1\"\n");
  CAPTURE(err);
  CHECK(err.find("test.conf:3: option 'redis-userdb': only one user database") == 0);
  CHECK(err.find("userdb is already set (test.conf:2)") != std::string::npos);
  CHECK(config_error("psql-userdb=\"host=x\"\n") == "no error");
}

TEST_CASE("config: REST options and unsupported databases") {
  std::vector<std::string> warnings;
  auto c = config_from(
      "realm=example.org\n"
      "use-auth-secret\n"
      "static-auth-secret=one\n"
      "static-auth-secret=two\n"
      "rest-api-separator=-\n",
      &warnings);
  CHECK(warnings.empty());
  CHECK(c.use_auth_secret);
  CHECK(c.static_auth_secrets == std::vector<std::string>{"one", "two"});
  CHECK(c.rest_api_separator == '-');
  // static-auth-secret alone turns use-auth-secret on (coturn).
  auto d = config_from("static-auth-secret=x\n");
  CHECK(d.use_auth_secret);
  CHECK(d.rest_api_separator == ':');
  CHECK_FALSE(config_from("realm=r\n").use_auth_secret);

  const std::string mongo = config_error("realm=r\n\nmongo-userdb=\"mongodb://x\"\n");
  CAPTURE(mongo);
  CHECK(mongo.find("test.conf:3: option 'mongo-userdb'") == 0);
  CHECK(mongo.find("not supported by turnd") != std::string::npos);

  // The database servers: coturn's connection strings, kept as written.
  const auto r = config_from("redis-userdb=\"ip=127.0.0.1 dbname=2 password=pw\"\n");
  CHECK(r.redis_userdb == "ip=127.0.0.1 dbname=2 password=pw");
  CHECK(config_from("sql-userdb=\"host=db user=turn\"\n").psql_userdb == "host=db user=turn");
  CHECK(config_from("mysql-userdb=\"host=db dbname=coturn\"\n").mysql_userdb ==
        "host=db dbname=coturn");
  CHECK(config_from("userdb-refresh=30\n").userdb_refresh == 30);
  CHECK(config_error("userdb-refresh=0\n").find("test.conf:1: option 'userdb-refresh'") == 0);
  // The command line's short names exist for them.
  bool found_c = false;
  for (const auto& o : turn::known_options()) {
    if (o.name == "rest-api-separator")
      found_c = o.short_name == 'C';
  }
  CHECK(found_c);
}

TEST_CASE("load_user_db: static users, flat file and REST secrets from the configuration") {
  udbtest::TempDir dir;
  const std::string flat = dir / "turnuserdb.conf";
  udbtest::write_file(flat, "# users\nalice:fromfile\nbob:0x" +
                                turn::to_hex(stun::long_term_key_md5("bob", "example.org", "b")) +
                                "\n");
  auto c = config_from("realm=example.org\nuserdb=" + flat +
                       "\nuser=alice:fromconfig\nuser=carol:c\nstatic-auth-secret=north\n");
  auto snap = turn::load_user_db(c);
  CHECK(snap->user_count() == 3);
  // user= wins over the file (coturn checks the static accounts first).
  CHECK(snap->find("alice", "example.org")->md5 ==
        stun::long_term_key_md5("alice", "example.org", "fromconfig"));
  CHECK(snap->find("bob", "example.org")->md5 ==
        stun::long_term_key_md5("bob", "example.org", "b"));
  CHECK(snap->rest_enabled());
  CHECK(snap->secrets_for("example.org") == std::vector<std::string>{"north"});
  const std::string rest = "9999999999:dave";
  auto keys = snap->candidates(rest, "example.org", 1'700'000'000);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].md5 ==
        stun::long_term_key_md5(rest, "example.org", turn::userdb::rest_password("north", rest)));
}

TEST_CASE("load_user_db: a malformed flat file names file:line") {
  udbtest::TempDir dir;
  const std::string flat = dir / "users.txt";
  udbtest::write_file(flat, "alice:pw\n\nbroken line\n");
  auto c = config_from("realm=r\nuserdb=" + flat + "\n");
  try {
    turn::load_user_db(c);
    FAIL("no error");
  } catch (const turn::UserDbError& e) {
    CHECK(std::string(e.what()) == flat + ":3: expected name:password or name:0xKEY");
  }
}

TEST_CASE("UserDbSource: flat file changes: rewrite, rename, delete, recreate") {
  udbtest::TempDir dir;
  const std::string path = dir / "users";
  udbtest::write_file(path, "alice:pw\n");
  turn::UserDbSettings s;
  s.realm = "r";
  s.userdb = path;
  turn::UserDbSource source(s);
  CHECK(source.changed());  // nothing loaded yet
  auto snap = source.reload();
  CHECK(source.kind() == turn::userdb::DbKind::kFlat);
  CHECK(snap->find("alice", "r"));
  // Just written: "racily clean" for up to 2 s, so changed() may say true; wait it out.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  source.reload();
  CHECK_FALSE(source.changed());
  CHECK_FALSE(source.changed());

  udbtest::write_file(path, "alice:pw\nbob:pw\n");  // in place, grows
  CHECK(source.changed());
  snap = source.reload();
  CHECK(snap->find("bob", "r"));

  // turnadmin's way: temp file + rename.
  turn::userdb::edit_flat_file(path, [](std::vector<std::string>& l) { l.push_back("carol:x"); });
  CHECK(source.changed());
  snap = source.reload();
  CHECK(snap->find("carol", "r"));

  std::filesystem::remove(path);
  CHECK(source.changed());
  snap = source.reload();
  CHECK(source.kind() == turn::userdb::DbKind::kMissing);
  CHECK(snap->user_count() == 0);
  REQUIRE(snap->warnings().size() == 1);
  CHECK(snap->warnings()[0].find("does not exist") != std::string::npos);
  CHECK_FALSE(source.changed());

  udbtest::write_file(path, "dave:pw\n");
  CHECK(source.changed());
  snap = source.reload();
  CHECK(snap->find("dave", "r"));
}

TEST_CASE("UserDbSource: a broken file keeps the old snapshot and is not re-read until fixed") {
  udbtest::TempDir dir;
  const std::string path = dir / "users";
  udbtest::write_file(path, "alice:pw\n");
  turn::UserDbSettings s;
  s.realm = "r";
  s.userdb = path;
  turn::UserDbSource source(s);
  auto good = source.reload();
  udbtest::write_file(path, "alice:pw\nbroken\n");
  CHECK(source.changed());
  CHECK_THROWS_AS(source.reload(), turn::UserDbError);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // past the racy window
  CHECK_THROWS_AS(source.reload(), turn::UserDbError);
  CHECK_FALSE(source.changed());
  udbtest::write_file(path, "alice:pw\nbob:fixed\n");
  CHECK(source.changed());
  CHECK(source.reload()->find("bob", "r"));
}

TEST_CASE("UserDbSource: SQLite changes by another connection, rollback journal and WAL") {
  udbtest::TempDir dir;
  const std::string path = dir / "turndb";
  auto store = turn::userdb::AdminStore::open(path, true);
  const std::string key = turn::to_hex(stun::long_term_key_md5("alice", "r", "pw"));
  store->set_user("r", "alice", key);
  turn::UserDbSettings s;
  s.realm = "r";
  s.userdb = path;
  turn::UserDbSource source(s);
  auto snap = source.reload();
  CHECK(source.kind() == turn::userdb::DbKind::kSqlite);
  CHECK(snap->find("alice", "r"));
  CHECK_FALSE(source.changed());

  store->set_user("r", "bob", key);
  CHECK(source.changed());
  snap = source.reload();
  CHECK(snap->find("bob", "r"));
  CHECK_FALSE(source.changed());
  store->set_secret("r", "north");
  CHECK(source.changed());
  source.reload();
  CHECK_FALSE(source.changed());
  store->set_realm_option("r", "user-quota", 3);
  CHECK(source.changed());
  snap = source.reload();
  REQUIRE(snap->realm_options("r"));
  CHECK(snap->realm_options("r")->user_quota == 3u);

  // The whole file replaced by another database (rollback journal: no -wal file to mix up).
  const std::string other = dir / "other";
  turn::userdb::AdminStore::open(other, true)->set_user("r", "zed", key);
  std::filesystem::rename(other, path);
  CHECK(source.changed());
  snap = source.reload();
  CHECK(snap->find("zed", "r"));
  CHECK_FALSE(snap->find("alice", "r"));
  CHECK_FALSE(source.changed());

  // WAL mode: the main file may not change at all until a checkpoint.
  {
    turn::userdb::Sqlite w(path, turn::userdb::Sqlite::Mode::kWrite);
    w.exec("PRAGMA journal_mode=WAL");
    w.exec("PRAGMA wal_autocheckpoint=0");
    CHECK(source.changed());
    source.reload();
    CHECK_FALSE(source.changed());
    settle();
    w.exec(("INSERT INTO turnusers_lt (realm,name,hmackey) VALUES('r','carol','" + key + "')")
               .c_str());
    CHECK(source.changed());
    snap = source.reload();
    CHECK(snap->find("carol", "r"));
    CHECK_FALSE(source.changed());
  }
}

TEST_CASE("UserDbSource: SQLite rows turnd cannot use are warnings, not errors") {
  udbtest::TempDir dir;
  const std::string path = dir / "turndb";
  auto store = turn::userdb::AdminStore::open(path, true);
  store->set_user("r", "short", "abcd");
  store->set_secret("", "nowhere");
  {
    turn::userdb::Sqlite w(path, turn::userdb::Sqlite::Mode::kWrite);
    w.exec("INSERT INTO turn_realm_option VALUES('r','user-quota','lots')");
    w.exec("INSERT INTO turn_realm_option VALUES('r','colour','blue')");
  }
  turn::UserDbSettings s;
  s.realm = "r";
  s.userdb = path;
  turn::UserDbSource source(s);
  auto snap = source.reload();
  CHECK(snap->user_count() == 0);
  CHECK(snap->warnings().size() == 4);
}

TEST_CASE("UserDbSource: no userdb: static users only, never changed after the first load") {
  turn::UserDbSettings s;
  s.realm = "r";
  s.users.push_back({"alice", "pw"});
  turn::UserDbSource source(s);
  CHECK(source.changed());
  auto snap = source.reload();
  CHECK(snap->find("alice", "r"));
  CHECK_FALSE(source.changed());
}

TEST_CASE("UserDbSource: a database locked past the busy timeout is retried, not dropped") {
  udbtest::TempDir dir;
  const std::string path = dir / "turndb";
  auto store = turn::userdb::AdminStore::open(path, true);
  store->set_user("r", "alice", std::string(32, 'a'));
  turn::UserDbSettings s;
  s.realm = "r";
  s.userdb = path;
  turn::UserDbSource source(s);
  auto old = source.reload();
  store->set_user("r", "bob", std::string(32, 'b'));
  {
    turn::userdb::Sqlite locker(path, turn::userdb::Sqlite::Mode::kWrite);
    locker.exec("BEGIN EXCLUSIVE");
    CHECK(source.changed());
    CHECK_THROWS_AS(source.reload(), turn::userdb::SqliteBusy);  // after the 2 s busy timeout
    CHECK(source.changed());
    locker.exec("COMMIT");
  }
  auto snap = source.reload();
  CHECK(snap->find("bob", "r"));
  CHECK_FALSE(source.changed());
}
