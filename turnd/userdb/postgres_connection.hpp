// PostgreSQL through libpq (`psql-userdb`, turnadmin -e): coturn's schema, libpq's own
// conninfo string or URI, bounded waits so a dead server cannot hold a thread for long.
#pragma once

#include <memory>
#include <string>

#include "userdb/sql_connection.hpp"

namespace turn::userdb {

/// Connects now; throws UserDbError (with libpq's reason, never the password).
std::unique_ptr<SqlConnection> connect_postgres(const std::string& conninfo);

}  // namespace turn::userdb
