// log-format=json lines: the text line's message whole, plus its event and key=value fields.
#include "util/log_json.hpp"

#include "util/log.hpp"

#include <doctest/doctest.h>

#include <string>

using turn::log::json_line;

TEST_CASE("json log line: event and key=value fields of an allocation line") {
  const std::string line =
      json_line("2026-12-02T10:00:00.000Z", "INFO",
                "allocation end: client=192.0.2.1:5000 transport=UDP user=alice reason=expired");
  CHECK(line ==
        R"({"time":"2026-12-02T10:00:00.000Z","level":"INFO","message":"allocation end: )"
        R"(client=192.0.2.1:5000 transport=UDP user=alice reason=expired","event":"allocation )"
        R"(end","client":"192.0.2.1:5000","transport":"UDP","user":"alice","reason":"expired"})");
}

TEST_CASE("json log line: quoted values, the source of an auth failure, no event prefix") {
  const std::string line = json_line(
      "t", "WARNING",
      R"(auth failure from 198.51.100.7 port 53122 transport=UDP user="a b\x22c" reason="wrong")");
  CHECK(line.find(R"("from":"198.51.100.7","port":"53122")") != std::string::npos);
  CHECK(line.find(R"("user":"a b\\x22c","reason":"wrong"})") != std::string::npos);
  CHECK(line.find("\"event\"") == std::string::npos);
}

TEST_CASE("json log line: control and non-ASCII bytes escaped, reserved names not overwritten") {
  const std::string line = json_line("t", "INFO", "reload: level=forged message=x\n\x01\xff");
  CHECK(line.find(R"("level":"INFO")") != std::string::npos);
  CHECK(line.find(R"("level":"forged")") == std::string::npos);
  CHECK(line.find(R"(\n\u0001\u00ff)") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
  // A message that is no "event: key=value" line is the message alone.
  CHECK(json_line("t", "INFO", "plain words only") ==
        R"({"time":"t","level":"INFO","message":"plain words only"})");
}

TEST_CASE("json log line: a user name cannot add or overwrite a field (sanitize escapes spaces)") {
  const std::string user = turn::log::sanitize("bob reason=forged user=alice");
  CHECK(user == "bob\\x20reason=forged\\x20user=alice");
  const std::string line =
      json_line("t", "INFO", "allocation end: client=192.0.2.1:5 user=" + user + " reason=expired");
  CHECK(line.find(R"("user":"bob\\x20reason=forged\\x20user=alice","reason":"expired"})") !=
        std::string::npos);
}
