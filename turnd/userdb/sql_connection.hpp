// One connection to an SQL database holding coturn's schema (SQLite, PostgreSQL or
// MySQL/MariaDB), reduced to what turnd and turnadmin need: text parameters in, text rows out.
// The statements themselves are shared (sql_queries.hpp); what differs between the dialects
// (placeholders, upsert, how a table is looked up) lives behind this interface.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace turn::userdb {

enum class SqlDialect : std::uint8_t { kSqlite, kPostgres, kMysql };

class SqlConnection {
 public:
  using Row = std::vector<std::string>;
  using Params = std::initializer_list<std::string_view>;

  virtual ~SqlConnection() = default;

  virtual SqlDialect dialect() const = 0;
  /// Where this connection goes, for messages: never the password.
  virtual const std::string& describe() const = 0;
  /// Runs one statement whose parameters are written `?` (the implementation translates), each
  /// bound as text; returns its rows (NULL reads as ""). Throws UserDbError naming describe().
  virtual std::vector<Row> query(std::string_view sql, Params params) = 0;
  virtual bool has_table(std::string_view name) = 0;
  /// Runs `body` in a transaction (`write`: one that takes the write lock up front where the
  /// dialect can): COMMIT when it returns, ROLLBACK when it throws.
  virtual void transaction(bool write, const std::function<void()>& body) = 0;

  void exec(std::string_view sql, Params params = {}) { query(sql, params); }

 protected:
  /// The nesting PostgreSQL and MySQL share: the outermost call runs `begin` and COMMIT (or,
  /// when `body` throws, `rollback`), calls inside it only run `body`.
  void nest(std::string_view begin, const std::function<void()>& body,
            const std::function<void()>& rollback) {
    if (depth_ > 0) {
      body();
      return;
    }
    exec(begin);
    ++depth_;
    try {
      body();
    } catch (...) {
      --depth_;
      rollback();
      throw;
    }
    --depth_;
    exec("COMMIT");
  }

 private:
  int depth_ = 0;
};

}  // namespace turn::userdb
