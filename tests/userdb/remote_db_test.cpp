// The database servers' side that needs no server: coturn's connection strings, the SQL spelt
// per dialect, what is logged of a connection string, and a watcher whose database is not there
// (the end-to-end runs with real servers: tests/interop/userdb_servers_test.sh).
#include "userdb/remote_db.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "config/option_values.hpp"
#include "userdb/connection_string.hpp"
#include "userdb/redis_client.hpp"
#include "userdb/remote_db_watcher.hpp"
#include "userdb/sql_queries.hpp"

using turn::userdb::ConnectionString;
using turn::userdb::DbKind;
using turn::userdb::SqlDialect;

namespace {

/// A loopback TCP port nothing listens on (bound, then closed).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("connection string: coturn's key=value pairs, libpq's quoting") {
  auto c = ConnectionString::parse("  host=db.example.org  dbname=coturn password='a b\\'c' ");
  CHECK(c.get("host") == "db.example.org");
  CHECK(c.get("dbname") == "coturn");
  CHECK(c.get("password") == "a b'c");
  CHECK_FALSE(c.get("port"));
  CHECK(c.number_or("port", 3306) == 3306);
  CHECK(ConnectionString::parse("port=5432").number_or("port", 0) == 5432);
  CHECK_THROWS_WITH_AS(ConnectionString::parse("port=x").number_or("port", 0),
                       doctest::Contains("port='x' is not a number"), turn::UserDbError);
  CHECK_THROWS_WITH_AS(ConnectionString::parse("host=a dbname"), doctest::Contains("key=value"),
                       turn::UserDbError);
  CHECK_THROWS_AS(ConnectionString::parse("password='open"), turn::UserDbError);
  CHECK_THROWS_WITH_AS(ConnectionString::parse("hots=x").require_known({"host"}, "mysql-userdb"),
                       doctest::Contains("unknown key 'hots'"), turn::UserDbError);
}

TEST_CASE("redis-userdb: coturn's keys and defaults; the password never in descriptions") {
  auto d = turn::userdb::RedisSettings::parse("");
  CHECK(d.host == "127.0.0.1");
  CHECK(d.port == 6379);
  CHECK(d.db == 0);
  auto s = turn::userdb::RedisSettings::parse(
      "ip=10.0.0.5 dbname=3 password=s3cret port=6390 connect_timeout=2");
  CHECK(s.host == "10.0.0.5");
  CHECK(s.db == 3);
  CHECK(s.port == 6390);
  CHECK(s.password == "s3cret");
  CHECK(s.connect_timeout_s == 2);
  CHECK(s.describe() == "Redis 10.0.0.5:6390 db 3");
  CHECK(turn::userdb::RedisSettings::parse("host=h database=1").db == 1);
  CHECK_THROWS_AS(turn::userdb::RedisSettings::parse("ip=h dbnmae=1"), turn::UserDbError);
}

TEST_CASE("connection strings in logs and printed configurations hide the password only") {
  CHECK(turn::masked_connection_string("host=h password=s3cret user=u") ==
        "host=h password=*** user=u");
  CHECK(turn::masked_connection_string("password='a b' port=1") == "password=*** port=1");
  CHECK(turn::masked_connection_string("pwd=x") == "pwd=***");
  CHECK(turn::masked_connection_string("postgresql://turn:s3cret@db/coturn") ==
        "postgresql://turn:***@db/coturn");
  CHECK(turn::masked_connection_string("mypassword=x") == "mypassword=x");
  turn::Config c;
  c.mysql_userdb = "host=db password=s3cret";
  const auto spec = turn::userdb::RemoteDbSpec::from(c);
  CHECK(spec.kind == DbKind::kMysql);
  CHECK(spec.describe().find("s3cret") == std::string::npos);
  CHECK_FALSE(turn::userdb::RemoteDbSpec::from(turn::Config{}).configured());
}

TEST_CASE("SQL: one upsert per dialect, same tables and columns") {
  CHECK(turn::userdb::upsert_sql(SqlDialect::kSqlite, "turnusers_lt", "realm,name,hmackey",
                                 "realm,name") ==
        "INSERT OR REPLACE INTO turnusers_lt (realm,name,hmackey) VALUES(?,?,?)");
  CHECK(turn::userdb::upsert_sql(SqlDialect::kMysql, "turn_secret", "realm,value", "realm,value") ==
        "REPLACE INTO turn_secret (realm,value) VALUES(?,?)");
  CHECK(turn::userdb::upsert_sql(SqlDialect::kPostgres, "turnusers_lt", "realm,name,hmackey",
                                 "realm,name") ==
        "INSERT INTO turnusers_lt (realm,name,hmackey) VALUES(?,?,?) ON CONFLICT (realm,name) DO "
        "UPDATE SET hmackey=EXCLUDED.hmackey");
  CHECK(turn::userdb::upsert_sql(SqlDialect::kPostgres, "turn_secret", "realm,value",
                                 "realm,value") ==
        "INSERT INTO turn_secret (realm,value) VALUES(?,?) ON CONFLICT (realm,value) DO NOTHING");
}

TEST_CASE("a database that is not there: read() throws, the watcher retries without news") {
  turn::userdb::RemoteDbSpec spec{
      DbKind::kRedis, "ip=127.0.0.1 port=" + std::to_string(closed_port()) + " connect_timeout=1"};
  turn::userdb::RemoteDb db(spec);
  CHECK_THROWS_WITH_AS(db.read(), doctest::Contains("cannot connect"), turn::UserDbError);
  CHECK(db.change_fd() == -1);

  int wakes = 0;
  const auto started = std::chrono::steady_clock::now();
  {
    turn::userdb::RemoteDbWatcher w(turn::userdb::RemoteDb(spec), 1, false, std::nullopt,
                                    [&] { ++wakes; });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK_FALSE(w.reachable());
    CHECK_FALSE(w.take());
  }  // stops and joins: a refused connect returns at once
  CHECK(wakes == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
}
