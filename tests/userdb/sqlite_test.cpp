// coturn's SQLite database: the schema byte for byte, reading a database written by coturn's
// own turnadmin, turnadmin's storage (SQLite and flat), and coturn's small formats.
#include "userdb/sqlite_db.hpp"

#include <doctest/doctest.h>

#include "support.hpp"
#include "userdb/admin_store.hpp"
#include "userdb/flat_file.hpp"
#include "userdb/keys.hpp"
#include "userdb/source.hpp"

using turn::userdb::AdminStore;
using turn::userdb::DbKind;
using turn::userdb::Sqlite;

namespace {

std::vector<std::string> schema_of(const std::string& path) {
  Sqlite db(path, Sqlite::Mode::kRead);
  auto st = db.prepare("SELECT sql FROM sqlite_master WHERE type='table' ORDER BY rootpage");
  std::vector<std::string> out;
  while (st.step())
    out.push_back(st.text(0));
  return out;
}

turn::UserDbSettings settings_for(const std::string& path) {
  turn::UserDbSettings s;
  s.realm = "example.org";
  s.userdb = path;
  return s;
}

}  // namespace

TEST_CASE("sqlite: a database turnd creates has coturn's exact schema") {
  udbtest::TempDir dir;
  const std::string path = dir / "turndb";
  AdminStore::open(path, true)->set_user("r", "u", std::string(32, '0'));
  const auto ours = schema_of(path);
  REQUIRE(ours.size() == turn::userdb::kCoturnSchema.size());
  for (std::size_t i = 0; i < ours.size(); ++i)
    CHECK(ours[i] == turn::userdb::kCoturnSchema[i]);
  CHECK(turn::userdb::detect_db_kind(path) == DbKind::kSqlite);

  if (!udbtest::have_coturn()) {
    MESSAGE("coturn's turnadmin is not installed: skipping the comparison with its schema");
    return;
  }
  const std::string theirs_path = dir / "coturn.db";
  REQUIRE(udbtest::coturn_admin({"-a", "-b", theirs_path, "-u", "u", "-r", "r", "-p", "p"}) == 0);
  CHECK(schema_of(theirs_path) == ours);
}

TEST_CASE("sqlite: turnd reads users, secrets and realm options written by coturn's turnadmin") {
  if (!udbtest::have_coturn()) {
    MESSAGE("coturn's turnadmin is not installed: skipped");
    return;
  }
  udbtest::TempDir dir;
  const std::string path = dir / "turndb";
  auto admin = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-b", path});
    REQUIRE(udbtest::coturn_admin(args) == 0);
  };
  admin({"-a", "-u", "alice", "-r", "example.org", "-p", "secret"});
  admin({"-a", "-u", "bob", "-r", "other.org", "-p", "bobpw"});
  admin({"-s", "north", "-r", "example.org"});
  admin({"-g", "-r", "example.org", "--user-quota", "5", "--max-bps", "100000"});
  admin({"-g", "-r", "other.org", "--total-quota", "7"});

  auto settings = settings_for(path);
  settings.use_auth_secret = true;
  turn::UserDbSource source(settings);
  auto snap = source.reload();
  CHECK(source.kind() == DbKind::kSqlite);
  CHECK(snap->warnings().empty());
  CHECK(snap->user_count() == 2);
  auto alice = snap->find("alice", "example.org");
  REQUIRE(alice);
  CHECK(alice->md5 == stun::long_term_key_md5("alice", "example.org", "secret"));
  CHECK_FALSE(alice->sha256);
  CHECK(snap->find("bob", "other.org"));
  CHECK_FALSE(snap->find("bob", "example.org"));
  CHECK(snap->secrets_for("example.org") == std::vector<std::string>{"north"});
  REQUIRE(snap->realm_options("example.org"));
  CHECK(snap->realm_options("example.org")->user_quota == 5u);
  CHECK(snap->realm_options("example.org")->max_bps == 100000u);
  CHECK_FALSE(snap->realm_options("example.org")->total_quota);
  REQUIRE(snap->realm_options("other.org"));
  CHECK(snap->realm_options("other.org")->total_quota == 7u);
  CHECK_FALSE(source.changed());

  // And the other way: coturn sees what turnd's storage wrote.
  AdminStore::open(path, true)
      ->set_user("example.org", "carol",
                 turn::to_hex(stun::long_term_key_md5("carol", "example.org", "c")));
  CHECK(source.changed());
  snap = source.reload();
  CHECK(snap->find("carol", "example.org"));
}

TEST_CASE("sqlite: turnadmin's storage round trip") {
  udbtest::TempDir dir;
  const std::string path = dir / "turndb";
  CHECK(AdminStore::open(path, false)->list_users("").empty());  // reading creates nothing
  CHECK(turn::userdb::detect_db_kind(path) == DbKind::kMissing);

  auto s = AdminStore::open(path, true);
  CHECK(s->kind() == DbKind::kSqlite);
  s->set_user("b.org", "zed", "00");
  s->set_user("a.org", "yan", "01");
  s->set_user("a.org", "xav", "02");
  s->set_user("a.org", "xav", "03");  // replaces
  auto users = s->list_users("");
  REQUIRE(users.size() == 3);
  CHECK(users[0].name == "xav");
  CHECK(users[0].realm == "a.org");
  CHECK(users[1].name == "yan");
  CHECK(users[2].name == "zed");
  CHECK(s->list_users("b.org").size() == 1);
  s->delete_user("a.org", "yan");
  CHECK(s->list_users("a.org").size() == 1);

  s->set_secret("a.org", "s2");
  s->set_secret("a.org", "s1");
  s->set_secret("a.org", "s1");
  s->set_secret("b.org", "s3");
  auto secrets = s->list_secrets("a.org");
  REQUIRE(secrets.size() == 2);
  CHECK(secrets[0].name == "s1");
  s->delete_secret("a.org", "s1");
  CHECK(s->list_secrets("a.org").size() == 1);
  s->delete_secret("a.org", "");
  CHECK(s->list_secrets("a.org").empty());
  CHECK(s->list_secrets("").size() == 1);

  s->set_realm_option("a.org", "user-quota", 5);
  s->set_realm_option("a.org", "max-bps", 9);
  auto opts = s->list_realm_options("");
  REQUIRE(opts.size() == 2);
  CHECK(opts[0].name == "max-bps");
  CHECK(opts[0].value == "9");
  s->set_realm_option("a.org", "max-bps", 0);  // 0 removes
  CHECK(s->list_realm_options("a.org").size() == 1);

  s->set_admin("root", "", turn::userdb::encrypt_password("pw"));
  s->set_admin("ops", "a.org", turn::userdb::encrypt_password("pw"));
  auto admins = s->list_admins();
  REQUIRE(admins.size() == 2);
  CHECK(admins[0].name == "root");  // realm '' sorts first
  s->delete_admin("root");
  CHECK(s->list_admins().size() == 1);

  s->add_origin("http://x.org:80", "a.org");
  CHECK(s->list_origins("a.org").size() == 1);
  s->delete_origin("http://x.org:80");
  CHECK(s->list_origins("").empty());
}

TEST_CASE("flat file store: users only, realm from the caller") {
  udbtest::TempDir dir;
  const std::string path = dir / "turnuserdb.conf";
  auto s = AdminStore::open(path, true);  // a new *.conf is a flat file
  CHECK(s->kind() == DbKind::kFlat);
  s->set_user("r", "bob", "0123456789abcdef0123456789abcdef");
  s->set_user("r", "alice", "0123456789abcdef0123456789abcdef");
  s->set_user("r", "bob", "fedcba9876543210fedcba9876543210");
  bool exists = false;
  CHECK(turn::userdb::read_file(path, exists) ==
        "bob:0xfedcba9876543210fedcba9876543210\nalice:0x0123456789abcdef0123456789abcdef\n");
  auto users = AdminStore::open(path, false)->list_users("r");
  REQUIRE(users.size() == 2);
  CHECK(users[0].name == "alice");
  CHECK(users[0].realm == "r");
  s->delete_user("r", "bob");
  CHECK(turn::userdb::read_file(path, exists) == "alice:0x0123456789abcdef0123456789abcdef\n");
  CHECK_THROWS_AS(s->set_secret("r", "x"), turn::UserDbError);
  CHECK_THROWS_AS(s->list_realm_options(""), turn::UserDbError);

  // An existing text file is flat whatever its name; a new other name is SQLite.
  udbtest::write_file(dir / "users", "# users\n");
  CHECK(AdminStore::open(dir / "users", true)->kind() == DbKind::kFlat);
  CHECK(AdminStore::open(dir / "fresh.db", true)->kind() == DbKind::kSqlite);
}

TEST_CASE("coturn formats: $5$ passwords, origins, user names") {
  // `turnadmin -P -p hello` from coturn 4.6.1:
  const std::string theirs =
      "$5$bbf42d21b6bc823b$a1cc4a8d2c0336fc2aebd7a634069b0cdcb958e0142a70bd83436e460581fe45";
  CHECK(turn::userdb::check_encrypted_password("hello", theirs));
  CHECK_FALSE(turn::userdb::check_encrypted_password("hellO", theirs));
  const std::string ours = turn::userdb::encrypt_password("hello");
  CHECK(ours.size() == theirs.size());
  CHECK(ours.substr(0, 3) == "$5$");
  CHECK(turn::userdb::check_encrypted_password("hello", ours));
  CHECK(ours != turn::userdb::encrypt_password("hello"));  // random salt

  using turn::userdb::canonic_origin;
  CHECK(canonic_origin("http://X.org") == "http://x.org:80");
  CHECK(canonic_origin("https://a.B.c:8443/path") == "https://a.b.c:8443");
  CHECK(canonic_origin("ws://h") == "ws://h");
  CHECK(canonic_origin("ftp://h") == "ftp://h:21");
  CHECK(canonic_origin("turn://h") == "turn://h:3478");
  CHECK(canonic_origin("stuns://h") == "stuns://h:5349");
  CHECK(canonic_origin("http://u:p@h:1") == "http://h:1");
  CHECK(canonic_origin("http://[::1]:99") == "http://[::1]:99");
  CHECK(canonic_origin("Http://UPPER.org:80") == "http://upper.org:80");
  CHECK(canonic_origin("http://h:0") == "http://h:80");
  CHECK(canonic_origin("http://h?q") == "http://h:80");
  CHECK(canonic_origin("http://h:abc") == "http://h:abc");
  CHECK(canonic_origin("noscheme") == "noscheme");
  CHECK(canonic_origin("1http://h") == "1http://h");

  using turn::userdb::is_secure_username;
  CHECK(is_secure_username("alice"));
  CHECK(is_secure_username("1700000000:alice"));
  CHECK_FALSE(is_secure_username("a b"));
  CHECK_FALSE(is_secure_username("a'b"));
  CHECK_FALSE(is_secure_username("a\\b"));
  CHECK_FALSE(is_secure_username("xUnionySelect"));
  CHECK(is_secure_username("union"));
}
