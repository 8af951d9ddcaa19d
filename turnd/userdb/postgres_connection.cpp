#include "userdb/postgres_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <chrono>

#include "config/option_values.hpp"
#include "userdb/keys.hpp"

namespace turn::userdb {
namespace {

constexpr std::chrono::seconds kQueryTimeout{10};

/// `?` placeholders as PostgreSQL's $1, $2, ... (our statements have no '?' in literals).
std::string numbered(std::string_view sql) {
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?')
      out += "$" + std::to_string(++n);
    else
      out += c;
  }
  return out;
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(const std::string& conninfo) {
    // Defaults first: whatever the operator's conninfo says wins (libpq reads the expanded
    // dbname's keywords over the ones before it). connect_timeout and tcp_user_timeout bound
    // how long a vanished server can hold the thread that reads the users.
    const char* keys[] = {"connect_timeout",  "tcp_user_timeout", "keepalives_idle",
                          "application_name", "dbname",           nullptr};
    const char* values[] = {"5", "10000", "10", "turnd", conninfo.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (conn_ == nullptr)
      throw UserDbError("PostgreSQL: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = message();
      PQfinish(conn_);
      conn_ = nullptr;
      throw UserDbError("PostgreSQL " + masked_connection_string(conninfo) +
                        ": cannot connect: " + why);
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // CREATE IF NOT EXISTS
    describe_ =
        std::string("PostgreSQL ") + PQhost(conn_) + ":" + PQport(conn_) + "/" + PQdb(conn_);
  }
  ~PostgresConnection() override { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  const std::string& describe() const override { return describe_; }

  std::vector<Row> query(std::string_view sql, Params params) override {
    std::vector<std::string> texts(params.begin(), params.end());
    std::vector<const char*> ptrs;
    for (const auto& t : texts)
      ptrs.push_back(t.c_str());
    const std::string text = numbered(sql);
    if (PQsendQueryParams(conn_, text.c_str(), static_cast<int>(ptrs.size()), nullptr, ptrs.data(),
                          nullptr, nullptr, 0) == 0) {
      throw UserDbError(describe_ + ": '" + std::string(sql) + "' failed: " + message());
    }
    PGresult* res = wait_result(sql);
    const auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      const std::string why = PQresultErrorMessage(res);
      PQclear(res);
      throw UserDbError(describe_ + ": '" + std::string(sql) + "' failed: " + trim(why));
    }
    std::vector<Row> rows;
    const int n = PQntuples(res), cols = PQnfields(res);
    for (int r = 0; r < n; ++r) {
      Row row;
      for (int c = 0; c < cols; ++c)
        row.emplace_back(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c)));
      rows.push_back(std::move(row));
    }
    PQclear(res);
    return rows;
  }

  bool has_table(std::string_view name) override {
    // to_regclass follows the search_path, as the unqualified names in the statements do.
    auto rows = query("SELECT to_regclass(?) IS NOT NULL", {name});
    return !rows.empty() && rows[0][0] == "t";
  }

  void transaction(bool write, const std::function<void()>& body) override {
    nest(write ? "BEGIN" : "BEGIN READ ONLY", body, [this] {
      if (!broken_)  // a server that stopped answering would hold the ROLLBACK forever too
        PQclear(PQexec(conn_, "ROLLBACK"));
    });
  }

 private:
  static std::string trim(std::string m) {
    while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
      m.pop_back();
    return m;
  }
  std::string message() const { return trim(PQerrorMessage(conn_)); }

  /// The statement's result, waiting at most kQueryTimeout: libpq itself would wait forever for
  /// a server that accepted the query and stopped (a stopped process, a full disk), and the
  /// thread waiting is the one that keeps every node's users current.
  PGresult* wait_result(std::string_view sql) {
    const auto deadline = std::chrono::steady_clock::now() + kQueryTimeout;
    PGresult* first = nullptr;
    for (;;) {
      while (PQisBusy(conn_) != 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd pfd{PQsocket(conn_), POLLIN, 0};
        const int n = left.count() > 0 ? ::poll(&pfd, 1, static_cast<int>(left.count())) : 0;
        if (n == 0) {
          PQclear(first);
          broken_ = true;
          throw UserDbError(describe_ + ": '" + std::string(sql) + "': no answer within " +
                            std::to_string(kQueryTimeout.count()) + " s");
        }
        if ((n < 0 && errno != EINTR) || (n > 0 && PQconsumeInput(conn_) == 0)) {
          PQclear(first);
          broken_ = true;
          throw UserDbError(describe_ + ": '" + std::string(sql) + "' failed: " + message());
        }
      }
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr)
        break;
      if (first == nullptr)
        first = r;
      else
        PQclear(r);
    }
    if (first == nullptr)
      throw UserDbError(describe_ + ": '" + std::string(sql) + "': no result");
    return first;
  }

  PGconn* conn_ = nullptr;
  std::string describe_;
  bool broken_ = false;  ///< a wait failed: the connection is to be dropped, not used
};

}  // namespace

std::unique_ptr<SqlConnection> connect_postgres(const std::string& conninfo) {
  return std::make_unique<PostgresConnection>(conninfo);
}

}  // namespace turn::userdb
