// cli-password checks (admin/admin_password.hpp): plain and coturn's "$5$" hash as turnadmin -P
// writes it, Bearer and Basic Authorization headers.
#include "admin/admin_password.hpp"

#include <doctest/doctest.h>

TEST_CASE("admin password: plain passwords match exactly") {
  CHECK(turn::admin_password_matches("s3cret", "s3cret"));
  CHECK_FALSE(turn::admin_password_matches("s3cret", "s3cre"));
  CHECK_FALSE(turn::admin_password_matches("s3cret", "s3cret "));
  CHECK_FALSE(turn::admin_password_matches("s3cret", ""));
  CHECK_FALSE(turn::admin_password_matches("", ""));  // no password configured: nothing matches
}

TEST_CASE("admin password: coturn's $5$ hash from turnadmin -P -p secret") {
  const char* hashed =
      "$5$e56d82d805def825$302a8f76c2471154f9f79d4ee6aaa598c8290afeb70520035bcdad1298398a33";
  CHECK(turn::admin_password_matches(hashed, "secret"));
  CHECK_FALSE(turn::admin_password_matches(hashed, "Secret"));
  CHECK_FALSE(turn::admin_password_matches(hashed, hashed));
  CHECK_FALSE(turn::admin_password_matches("$5$zz$00", "secret"));  // malformed: no match
}

TEST_CASE("admin password: Bearer and Basic headers") {
  CHECK(turn::password_from_authorization("Bearer s3cret") == "s3cret");
  CHECK(turn::password_from_authorization("bearer s3cret") == "s3cret");
  CHECK(turn::password_from_authorization("Basic YWRtaW46czNjcmV0") == "s3cret");  // admin:s3cret
  CHECK(turn::password_from_authorization("Basic !!!").empty());
  CHECK(turn::password_from_authorization("Digest x").empty());
  CHECK(turn::password_from_authorization("").empty());
}
