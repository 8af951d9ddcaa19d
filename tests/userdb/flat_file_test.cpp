// The flat user file (rfc5766-turn-server's turnuserdb.conf): parsing and atomic edits.
#include "userdb/flat_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "support.hpp"
#include "userdb/keys.hpp"

using turn::userdb::parse_flat_file;

TEST_CASE("flat file: names, passwords, 0x keys, comments, blanks, CRLF") {
  const auto entries = parse_flat_file(
      "# users of example.org\n"
      "\n"
      "alice:secret\n"
      "  bob : pw with spaces  \r\n"
      "   # indented comment\n"
      "carol:0x543E1AEC5D3614F03141652D6ADA51B2\n"
      "dave:p:w",
      "users.conf");
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].name == "alice");
  CHECK(entries[0].secret == "secret");
  CHECK(entries[0].line == 3);
  CHECK(entries[1].name == "bob");
  CHECK(entries[1].secret == "pw with spaces");
  CHECK(entries[2].secret == "0x543E1AEC5D3614F03141652D6ADA51B2");
  CHECK(entries[3].name == "dave");
  CHECK(entries[3].secret == "p:w");  // only the first colon separates
  CHECK(entries[3].line == 7);
}

TEST_CASE("flat file: a malformed line is an error naming file:line") {
  auto message = [](std::string_view text) {
    try {
      parse_flat_file(text, "/etc/turnuserdb.conf");
    } catch (const turn::UserDbError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("alice:pw\nno-colon\n") ==
        "/etc/turnuserdb.conf:2: expected name:password or name:0xKEY");
  CHECK(message(":pw") == "/etc/turnuserdb.conf:1: expected name:password or name:0xKEY");
  CHECK(message("# c\nalice:") == "/etc/turnuserdb.conf:2: expected name:password or name:0xKEY");
  CHECK(message("\n\nalice:0x1234").find("/etc/turnuserdb.conf:3: a 0x key must have 32") == 0);
  CHECK(message("alice:0x543e1aec5d3614f03141652d6ada51bz").find(":1: a 0x key") !=
        std::string::npos);
}

TEST_CASE("flat file: flat_line_user") {
  CHECK(turn::userdb::flat_line_user("alice:pw") == "alice");
  CHECK(turn::userdb::flat_line_user("  bob :pw") == "bob");
  CHECK(turn::userdb::flat_line_user("# alice:pw").empty());
  CHECK(turn::userdb::flat_line_user("").empty());
  CHECK(turn::userdb::flat_line_user("nocolon").empty());
}

TEST_CASE("flat file: edit_flat_file keeps comments and mode, leaves no temp file") {
  udbtest::TempDir dir;
  const std::string path = dir / "turnuserdb.conf";
  udbtest::write_file(path, "# header\nalice:pw\nbob:pw2\n");
  ::chmod(path.c_str(), 0640);
  turn::userdb::edit_flat_file(path, [](std::vector<std::string>& lines) {
    REQUIRE(lines.size() == 3);
    lines[1] = "alice:new";
    lines.push_back("carol:x");
  });
  bool exists = false;
  CHECK(turn::userdb::read_file(path, exists) == "# header\nalice:new\nbob:pw2\ncarol:x\n");
  CHECK(exists);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"turnuserdb.conf", "turnuserdb.conf.lock"});

  // A missing file is created.
  const std::string fresh = dir / "new.conf";
  turn::userdb::edit_flat_file(fresh, [](std::vector<std::string>& lines) {
    CHECK(lines.empty());
    lines.push_back("zed:pw");
  });
  CHECK(turn::userdb::read_file(fresh, exists) == "zed:pw\n");
}

TEST_CASE("keys: hex helpers and coturn's byte-wise SASLprep") {
  const auto key = turn::parse_hex_key("0x543e1aec5d3614f03141652d6ada51b2");
  REQUIRE(key);
  CHECK(turn::to_hex(*key) == "543e1aec5d3614f03141652d6ada51b2");
  CHECK(*key == stun::long_term_key_md5("alice", "example.org", "secret"));
  CHECK_FALSE(turn::parse_hex_key("543e1aec5d3614f03141652d6ada51b2"));
  CHECK_FALSE(turn::parse_hex_key("0x543e1aec"));

  CHECK(turn::coturn_saslprep("plain") == std::optional<std::string>("plain"));
  CHECK(turn::coturn_saslprep("\xc3\xbc") == std::optional<std::string>("\xc3\xbc"));  // ü
  CHECK(turn::coturn_saslprep("\xc3\xad") ==
        std::optional<std::string>("\xc3"));  // í: 0xAD dropped
  CHECK(turn::coturn_saslprep("a\xc2\xa0"
                              "b") == std::optional<std::string>("a\xc2 b"));
  CHECK(turn::coturn_saslprep("a\x1f"
                              "b") == std::optional<std::string>("a\x1f"
                                                                 "b"));
  CHECK_FALSE(turn::coturn_saslprep("\xe2\x82\xac"));  // €: 0x82 is rejected
  CHECK_FALSE(turn::coturn_saslprep("a\tb"));
  CHECK_FALSE(turn::coturn_saslprep("a\x7f"));
}
