#include "userdb/sql_store.hpp"

#include "userdb/sql_queries.hpp"

namespace turn::userdb {
namespace {

class SqlStore final : public AdminStore {
 public:
  SqlStore(std::unique_ptr<SqlConnection> conn, DbKind kind) : db_(std::move(conn)), kind_(kind) {}

  DbKind kind() const override { return kind_; }

  void set_user(const std::string& realm, const std::string& name,
                const std::string& hex_key) override {
    run(upsert("turnusers_lt", "realm,name,hmackey", "realm,name"), {realm, name, hex_key});
  }
  void delete_user(const std::string& realm, const std::string& name) override {
    run("DELETE FROM turnusers_lt WHERE name=? AND realm=?", {name, realm});
  }
  std::vector<AdminRow> list_users(const std::string& realm) override {
    return realm.empty() ? list("turnusers_lt",
                                "SELECT name, realm, '' FROM turnusers_lt ORDER BY realm, name", {})
                         : list("turnusers_lt",
                                "SELECT name, realm, '' FROM turnusers_lt WHERE realm=? ORDER BY "
                                "name",
                                {realm});
  }
  void set_secret(const std::string& realm, const std::string& secret) override {
    write([&] {
      db_->exec("DELETE FROM turn_secret WHERE value=? AND realm=?", {secret, realm});
      db_->exec(upsert("turn_secret", "realm,value", "realm,value"), {realm, secret});
    });
  }
  void delete_secret(const std::string& realm, const std::string& secret) override {
    if (secret.empty()) {
      run("DELETE FROM turn_secret WHERE realm=?", {realm});
    } else {
      run("DELETE FROM turn_secret WHERE value=? AND realm=?", {secret, realm});
    }
  }
  std::vector<AdminRow> list_secrets(const std::string& realm) override {
    return realm.empty()
               ? list("turn_secret",
                      "SELECT value, realm, '' FROM turn_secret ORDER BY realm, value", {})
               : list("turn_secret",
                      "SELECT value, realm, '' FROM turn_secret WHERE realm=? ORDER BY value",
                      {realm});
  }
  void set_realm_option(const std::string& realm, const std::string& opt,
                        std::uint64_t value) override {
    if (value == 0) {
      run("DELETE FROM turn_realm_option WHERE realm=? AND opt=?", {realm, opt});
    } else {
      run(upsert("turn_realm_option", "realm,opt,value", "realm,opt"),
          {realm, opt, std::to_string(value)});
    }
  }
  std::vector<AdminRow> list_realm_options(const std::string& realm) override {
    return realm.empty() ? list("turn_realm_option",
                                "SELECT opt, realm, value FROM turn_realm_option ORDER BY realm, "
                                "opt",
                                {})
                         : list("turn_realm_option",
                                "SELECT opt, realm, value FROM turn_realm_option WHERE realm=? "
                                "ORDER BY realm, opt",
                                {realm});
  }
  void set_admin(const std::string& name, const std::string& realm,
                 const std::string& encrypted_password) override {
    run(upsert("admin_user", "realm,name,password", "name"), {realm, name, encrypted_password});
  }
  void delete_admin(const std::string& name) override {
    run("DELETE FROM admin_user WHERE name=?", {name});
  }
  std::vector<AdminRow> list_admins() override {
    return list("admin_user", "SELECT name, realm, '' FROM admin_user ORDER BY realm, name", {});
  }
  void add_origin(const std::string& origin, const std::string& realm) override {
    run(upsert("turn_origin_to_realm", "origin,realm", "origin"), {origin, realm});
  }
  void delete_origin(const std::string& origin) override {
    run("DELETE FROM turn_origin_to_realm WHERE origin=?", {origin});
  }
  std::vector<AdminRow> list_origins(const std::string& realm) override {
    return realm.empty()
               ? list("turn_origin_to_realm",
                      "SELECT origin, realm, '' FROM turn_origin_to_realm ORDER BY realm, "
                      "origin",
                      {})
               : list("turn_origin_to_realm",
                      "SELECT origin, realm, '' FROM turn_origin_to_realm WHERE realm=? "
                      "ORDER BY origin",
                      {realm});
  }

 protected:
  std::string unsupported_message(const char* what) const override {
    return std::string(what) + ": not supported";
  }

 private:
  std::string upsert(std::string_view table, std::string_view columns, std::string_view keys) {
    return upsert_sql(db_->dialect(), table, columns, keys);
  }
  void write(const std::function<void()>& body) {
    db_->transaction(true, [&] {
      ensure_schema(*db_);
      body();
    });
  }
  void run(std::string_view sql, SqlConnection::Params params) {
    write([&] { db_->exec(sql, params); });
  }
  std::vector<AdminRow> list(const char* table, std::string_view sql,
                             SqlConnection::Params params) {
    std::vector<AdminRow> rows;
    if (!db_)
      return rows;
    db_->transaction(false, [&] {
      if (!db_->has_table(table))
        return;
      for (auto& r : db_->query(sql, params))
        rows.push_back({trim(r[0]), trim(r[1]), trim(r[2])});
    });
    return rows;
  }
  static std::string trim(std::string s) {
    while (!s.empty() && s.back() == ' ')
      s.pop_back();  // PostgreSQL's char(n) padding
    return s;
  }

  std::unique_ptr<SqlConnection> db_;
  DbKind kind_;
};

}  // namespace

std::unique_ptr<AdminStore> make_sql_store(std::unique_ptr<SqlConnection> conn, DbKind kind) {
  return std::make_unique<SqlStore>(std::move(conn), kind);
}

}  // namespace turn::userdb
