#include "userdb/mysql_connection.hpp"

#include <errmsg.h>
#include <mysql.h>

#include "userdb/connection_string.hpp"
#include "userdb/keys.hpp"

namespace turn::userdb {
namespace {

class MysqlConnection final : public SqlConnection {
 public:
  explicit MysqlConnection(const std::string& text) {
    const auto cs = ConnectionString::parse(text);
    // coturn's dbd_mysql.c keys (and its aliases), so its connection strings work unchanged.
    cs.require_known(
        {"host", "ip", "dbname", "db", "database", "user", "uname", "name", "password", "pwd",
         "port", "connect_timeout", "read_timeout", "ca", "capath", "cert", "key", "cipher"},
        "mysql-userdb");
    auto first = [&](std::initializer_list<std::string_view> names, std::string fallback) {
      for (auto n : names) {
        if (auto v = cs.get(n))
          return *v;
      }
      return fallback;
    };
    const std::string host = first({"host", "ip"}, "127.0.0.1");
    const std::string db = first({"dbname", "db", "database"}, "");
    const std::string user = first({"user", "uname", "name"}, "");
    const std::string password = first({"password", "pwd"}, "");
    const unsigned port = cs.number_or("port", 0);
    const unsigned connect_timeout = cs.number_or("connect_timeout", 5);
    // The client library tries a read up to three times: 3 s bounds a stopped server at ~9 s.
    const unsigned read_timeout = cs.number_or("read_timeout", 3);
    describe_ = "MySQL " + host + ":" + std::to_string(port == 0 ? 3306 : port) + "/" + db;

    conn_ = mysql_init(nullptr);
    if (conn_ == nullptr)
      throw UserDbError("MySQL: out of memory");
    mysql_options(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    // Reads and writes are bounded too: a server that stops answering mid-query must not hold
    // the thread that refreshes the users.
    mysql_options(conn_, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    mysql_options(conn_, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
    const auto ca = cs.get("ca"), capath = cs.get("capath"), cert = cs.get("cert"),
               key = cs.get("key"), cipher = cs.get("cipher");
    if (ca || capath || cert || key || cipher) {
      auto c = [](const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; };
      mysql_ssl_set(conn_, c(key), c(cert), c(ca), c(capath), c(cipher));
    }
    if (mysql_real_connect(conn_, host.c_str(), user.c_str(), password.c_str(), db.c_str(), port,
                           nullptr, 0) == nullptr) {
      const std::string why = mysql_error(conn_);
      mysql_close(conn_);
      conn_ = nullptr;
      throw UserDbError(describe_ + ": cannot connect: " + why);
    }
    mysql_set_character_set(conn_, "utf8mb4");
  }
  ~MysqlConnection() override { mysql_close(conn_); }
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  SqlDialect dialect() const override { return SqlDialect::kMysql; }
  const std::string& describe() const override { return describe_; }

  std::vector<Row> query(std::string_view sql, Params params) override {
    // Parameters are escaped by the server's own rules for this connection's character set
    // (mysql_real_escape_string) and quoted; our statements have no '?' in literals.
    std::string text;
    auto p = params.begin();
    for (char c : sql) {
      if (c != '?') {
        text += c;
        continue;
      }
      if (p == params.end())
        throw UserDbError(describe_ + ": too few parameters for '" + std::string(sql) + "'");
      std::string escaped(p->size() * 2 + 1, '\0');
      escaped.resize(mysql_real_escape_string(conn_, escaped.data(), p->data(),
                                              static_cast<unsigned long>(p->size())));
      text += "'" + escaped + "'";
      ++p;
    }
    if (mysql_real_query(conn_, text.data(), static_cast<unsigned long>(text.size())) != 0)
      throw UserDbError(describe_ + ": '" + std::string(sql) + "' failed: " + mysql_error(conn_));
    std::vector<Row> rows;
    MYSQL_RES* res = mysql_store_result(conn_);
    if (res == nullptr) {
      if (mysql_field_count(conn_) != 0)
        throw UserDbError(describe_ + ": '" + std::string(sql) + "': " + mysql_error(conn_));
      return rows;  // no result set: INSERT, DELETE, ...
    }
    const unsigned cols = mysql_num_fields(res);
    while (MYSQL_ROW r = mysql_fetch_row(res)) {
      const unsigned long* lengths = mysql_fetch_lengths(res);
      Row row;
      for (unsigned c = 0; c < cols; ++c)
        row.emplace_back(r[c] != nullptr ? std::string(r[c], lengths[c]) : std::string());
      rows.push_back(std::move(row));
    }
    mysql_free_result(res);
    return rows;
  }

  bool has_table(std::string_view name) override {
    return !query(
                "SELECT 1 FROM information_schema.tables WHERE table_schema=DATABASE() AND "
                "table_name=?",
                {name})
                .empty();
  }

  void transaction(bool write, const std::function<void()>& body) override {
    nest(write ? "START TRANSACTION" : "START TRANSACTION READ ONLY", body, [this] {
      const unsigned err = mysql_errno(conn_);
      if (err != CR_SERVER_LOST && err != CR_SERVER_GONE_ERROR)  // else it would wait again
        mysql_query(conn_, "ROLLBACK");
    });
  }

 private:
  MYSQL* conn_ = nullptr;
  std::string describe_;
};

}  // namespace

std::unique_ptr<SqlConnection> connect_mysql(const std::string& connection_string) {
  return std::make_unique<MysqlConnection>(connection_string);
}

}  // namespace turn::userdb
