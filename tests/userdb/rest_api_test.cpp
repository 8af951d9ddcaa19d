// TURN REST API credential pieces: username timestamps, passwords, base64.
#include "userdb/rest_api.hpp"

#include <doctest/doctest.h>

#include <vector>

using turn::userdb::base64;
using turn::userdb::rest_expiry;
using turn::userdb::rest_password;

TEST_CASE("rest: expiry from the username, coturn's forms") {
  CHECK(rest_expiry("1700000000:alice", ':') == 1700000000);
  CHECK(rest_expiry("1700000000", ':') == 1700000000);
  CHECK(rest_expiry("alice:1700000000", ':') == 1700000000);  // coturn reads user:ts too
  CHECK(rest_expiry("1700000000-alice", '-') == 1700000000);
  CHECK(rest_expiry("1700000000:a:b", ':') == 1700000000);
  CHECK_FALSE(rest_expiry("alice", ':'));
  CHECK_FALSE(rest_expiry("12x:bob", ':'));
  CHECK_FALSE(rest_expiry("1700000000:alice", '-'));
  CHECK_FALSE(rest_expiry("", ':'));
  CHECK_FALSE(rest_expiry("99999999999999999999999:x", ':'));  // does not fit
}

TEST_CASE("rest: the real user behind a REST username (coturn's get_real_username)") {
  using turn::userdb::rest_real_username;
  CHECK(rest_real_username("1700000000:alice", ':') == "alice");
  CHECK(rest_real_username("alice:1700000000", ':') == "alice");
  CHECK(rest_real_username("1700000000", ':') == "1700000000");
  CHECK(rest_real_username(":alice", ':') == "alice");
  CHECK(rest_real_username("1700000000:a:b", ':') == "a:b");
  CHECK(rest_real_username("alice", ':') == "alice");
  CHECK(rest_real_username("1700000000-bob", '-') == "bob");
}

TEST_CASE("rest: password = base64(HMAC-SHA1(secret, username))") {
  // python3: base64.b64encode(hmac.new(b'north', b'1700000000:alice', hashlib.sha1).digest())
  CHECK(rest_password("north", "1700000000:alice") == "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
  CHECK(rest_password("", "") == "+9sdGxiqbAgyS31ktx+3Y3BpDh0=");
}

TEST_CASE("rest: base64 (RFC 4648 §10 vectors)") {
  auto b = [](std::string_view s) {
    return base64({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  };
  CHECK(b("") == "");
  CHECK(b("f") == "Zg==");
  CHECK(b("fo") == "Zm8=");
  CHECK(b("foo") == "Zm9v");
  CHECK(b("foob") == "Zm9vYg==");
  CHECK(b("fooba") == "Zm9vYmE=");
  CHECK(b("foobar") == "Zm9vYmFy");
  // The alphabet's last two characters (62 '+', 63 '/'; base64url has '-' and '_' there) and
  // bytes that are not text.
  CHECK(b("\xFB\xEF\xFF") == "++//");
  CHECK(b("\xFB\xFF") == "+/8=");
  CHECK(b(std::string_view("\0\0\0\0", 4)) == "AAAAAA==");
  // Longer than one chunk of the encoder's calls (3 MiB): one '=' only, at the very end.
  const std::vector<std::uint8_t> big((std::size_t{3} << 20) + 2, 0xFF);
  const std::string text = base64(big);
  CHECK(text.size() == ((std::size_t{3} << 20) + 2 + 2) / 3 * 4);
  CHECK(text.find('=') == text.size() - 1);
  CHECK(text.substr(text.size() - 4) == "//8=");
}
