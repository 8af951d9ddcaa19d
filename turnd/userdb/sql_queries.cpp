#include "userdb/sql_queries.hpp"

#include <cstring>

namespace turn::userdb {

// /usr/share/coturn/schema.sql (coturn 4.6), which coturn feeds to both psql and mysql.
const std::array<std::string_view, 8> kPortableSchema = {
    "CREATE TABLE IF NOT EXISTS turnusers_lt (realm varchar(127) default '', name varchar(512), "
    "hmackey char(128), PRIMARY KEY (realm,name))",
    "CREATE TABLE IF NOT EXISTS turn_secret (realm varchar(127) default '', value varchar(256), "
    "primary key (realm,value))",
    "CREATE TABLE IF NOT EXISTS allowed_peer_ip (realm varchar(127) default '', ip_range "
    "varchar(256), primary key (realm,ip_range))",
    "CREATE TABLE IF NOT EXISTS denied_peer_ip (realm varchar(127) default '', ip_range "
    "varchar(256), primary key (realm,ip_range))",
    "CREATE TABLE IF NOT EXISTS turn_origin_to_realm (origin varchar(127), realm varchar(127), "
    "primary key (origin))",
    "CREATE TABLE IF NOT EXISTS turn_realm_option (realm varchar(127) default '', opt "
    "varchar(32), value varchar(128), primary key (realm,opt))",
    "CREATE TABLE IF NOT EXISTS oauth_key (kid varchar(128), ikm_key varchar(256), timestamp "
    "bigint default 0, lifetime integer default 0, as_rs_alg varchar(64) default '', realm "
    "varchar(127), primary key (kid))",
    "CREATE TABLE IF NOT EXISTS admin_user (name varchar(32), realm varchar(127), password "
    "varchar(127), primary key (name))",
};

namespace {

/// PostgreSQL keeps char(n) padded with spaces (turnusers_lt.hmackey is char(128)); MySQL
/// strips them. Keys and names never end in a space, so trimming is exact.
std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

std::string_view table_of(std::string_view create) {
  constexpr std::string_view kPrefixes[] = {"CREATE TABLE IF NOT EXISTS ", "CREATE TABLE "};
  for (auto prefix : kPrefixes) {
    if (create.substr(0, prefix.size()) == prefix) {
      create.remove_prefix(prefix.size());
      break;
    }
  }
  return create.substr(0, create.find(' '));
}

}  // namespace

std::string upsert_sql(SqlDialect dialect, std::string_view table, std::string_view columns,
                       std::string_view keys) {
  std::string marks;
  std::vector<std::string_view> cols;
  for (std::string_view rest = columns; !rest.empty();) {
    const auto comma = rest.find(',');
    cols.push_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    marks += marks.empty() ? "?" : ",?";
  }
  const std::string body =
      std::string(table) + " (" + std::string(columns) + ") VALUES(" + marks + ")";
  switch (dialect) {
    case SqlDialect::kSqlite:
      return "INSERT OR REPLACE INTO " + body;
    case SqlDialect::kMysql:
      return "REPLACE INTO " + body;
    case SqlDialect::kPostgres: {
      std::string sets;
      for (auto c : cols) {
        if (("," + std::string(keys) + ",").find("," + std::string(c) + ",") != std::string::npos)
          continue;
        sets += (sets.empty() ? "" : ",") + std::string(c) + "=EXCLUDED." + std::string(c);
      }
      return "INSERT INTO " + body + " ON CONFLICT (" + std::string(keys) + ") " +
             (sets.empty() ? "DO NOTHING" : "DO UPDATE SET " + sets);
    }
  }
  return {};
}

DbContents read_contents(SqlConnection& db) {
  DbContents c;
  db.transaction(false, [&] {
    if (db.has_table("turnusers_lt")) {
      for (auto& r : db.query("SELECT realm, name, hmackey FROM turnusers_lt", {}))
        c.users.push_back({trimmed(r[0]), trimmed(r[1]), trimmed(r[2])});
    }
    auto pairs = [&](const char* table, const char* sql, std::vector<DbContents::RealmValue>& out) {
      if (!db.has_table(table))
        return;
      for (auto& r : db.query(sql, {}))
        out.push_back({trimmed(r[0]), trimmed(r[1]), trimmed(r[2])});
    };
    pairs("turn_secret", "SELECT realm, value, '' FROM turn_secret", c.secrets);
    pairs("turn_realm_option", "SELECT realm, opt, value FROM turn_realm_option", c.realm_options);
    pairs("allowed_peer_ip", "SELECT realm, ip_range, '' FROM allowed_peer_ip", c.allowed_peer_ips);
    pairs("denied_peer_ip", "SELECT realm, ip_range, '' FROM denied_peer_ip", c.denied_peer_ips);
    pairs("turn_origin_to_realm", "SELECT realm, origin, '' FROM turn_origin_to_realm", c.origins);
  });
  return c;
}

void ensure_schema(SqlConnection& db) {
  const auto& schema = db.dialect() == SqlDialect::kSqlite ? kCoturnSchema : kPortableSchema;
  for (std::string_view create : schema) {
    if (!db.has_table(table_of(create)))
      db.exec(create);
  }
}

}  // namespace turn::userdb
