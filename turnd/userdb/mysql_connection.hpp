// MySQL/MariaDB through MariaDB's client library (`mysql-userdb`, turnadmin -M): coturn's
// schema and connection string (host dbname user password port connect_timeout read_timeout,
// and ca capath cert key cipher for TLS), bounded waits.
#pragma once

#include <memory>
#include <string>

#include "userdb/sql_connection.hpp"

namespace turn::userdb {

/// Connects now; throws UserDbError (with the server's reason, never the password).
std::unique_ptr<SqlConnection> connect_mysql(const std::string& connection_string);

}  // namespace turn::userdb
