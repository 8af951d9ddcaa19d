// turnadmin's storage on any SQL database with coturn's schema (SQLite, PostgreSQL,
// MySQL/MariaDB): the same statements on each, the upsert in the dialect's spelling.
#pragma once

#include <memory>

#include "userdb/admin_store.hpp"
#include "userdb/sql_connection.hpp"

namespace turn::userdb {

/// `conn` null = reading a database that does not exist: every list is empty. Writes create
/// coturn's tables that are missing first, in the same transaction.
std::unique_ptr<AdminStore> make_sql_store(std::unique_ptr<SqlConnection> conn, DbKind kind);

}  // namespace turn::userdb
