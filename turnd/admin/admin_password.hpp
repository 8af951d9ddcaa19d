// cli-password as coturn keeps it: the password itself, or "$5$<16 hex salt>$<hex SHA-256 of
// salt bytes + password>" as `turnadmin -P -p PASSWORD` prints it. Compared in constant time.
#pragma once

#include <string>
#include <string_view>

namespace turn {

/// Whether `offered` is the password `configured` names (plain or coturn's $5$ form).
bool admin_password_matches(std::string_view configured, std::string_view offered);

/// The password an Authorization header carries: "Bearer PASSWORD", or HTTP Basic
/// (RFC 7617) with any user name; "" when it carries none.
std::string password_from_authorization(std::string_view header);

}  // namespace turn
