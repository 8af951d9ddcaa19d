// The SQL turnd and turnadmin run on coturn's schema, shared by SQLite, PostgreSQL and
// MySQL/MariaDB: one text per statement where the dialects agree, and the upsert spelled per
// dialect where they do not (coturn's dbd_pgsql.c / dbd_mysql.c / dbd_sqlite.c run the same
// tables and columns).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "userdb/sql_connection.hpp"
#include "userdb/sqlite_db.hpp"

namespace turn::userdb {

/// coturn's schema.sql as portable `CREATE TABLE IF NOT EXISTS` statements (PostgreSQL and
/// MySQL; SQLite keeps kCoturnSchema, byte for byte what coturn creates there).
extern const std::array<std::string_view, 8> kPortableSchema;

/// `INSERT ... ` that replaces the row with the same primary key: `INSERT OR REPLACE` (SQLite),
/// `ON CONFLICT (...) DO UPDATE` (PostgreSQL), `REPLACE INTO` (MySQL). `columns` and `keys`
/// are comma-separated; the statement takes one `?` per column.
std::string upsert_sql(SqlDialect dialect, std::string_view table, std::string_view columns,
                       std::string_view keys);

/// Every table turnd reads, in one read transaction; absent tables read as empty. (For SQLite
/// the data_version is filled by the caller.)
DbContents read_contents(SqlConnection& db);

/// Creates coturn's tables that are missing (PostgreSQL, MySQL: kPortableSchema; SQLite:
/// kCoturnSchema). Run inside a write transaction.
void ensure_schema(SqlConnection& db);

}  // namespace turn::userdb
