// TURN REST API credentials (draft-uberti-behave-turn-rest-00, coturn's `use-auth-secret`):
// username = "<expiry>[<sep><user>]" with <expiry> a unix timestamp, password =
// base64(HMAC-SHA1(secret, username)), long-term key = MD5(username:realm:password).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace turn::userdb {

/// The expiry time of a REST username, read as coturn's get_rest_api_timestamp() does:
/// "<digits>" or "<digits><sep><user>", and coturn's "<user><sep><digits>" too. Nullopt when
/// the username has no such timestamp (then it is no REST username; turnd falls back to the
/// stored users) or the number does not fit.
std::optional<std::int64_t> rest_expiry(std::string_view username, char separator);

/// The user a REST username stands for, as coturn's get_real_username() finds it for per-user
/// quotas: "<digits><sep><user>" -> user, "<user><sep>..." -> user, "<sep>x" -> x; a username
/// without the separator is returned whole.
std::string rest_real_username(std::string_view username, char separator);

/// base64(HMAC-SHA1(secret, username)): the password a REST credential service hands out.
std::string rest_password(std::string_view secret, std::string_view username);

/// Standard base64 with padding (RFC 4648 §4), as coturn's base64_encode.
std::string base64(std::span<const std::uint8_t> bytes);

}  // namespace turn::userdb
