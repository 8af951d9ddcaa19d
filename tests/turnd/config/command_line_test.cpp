// The command line generated from the option table: every entry under its long and short name,
// handed to the same loader as the file's, with the same effect.
#include "config/command_line.hpp"

#include <doctest/doctest.h>

#include "config/table_fixtures.hpp"

using tabletest::entries;
using tabletest::line_of;
using tabletest::without_origins;
using turn::Role;

namespace {

/// Parses turnd's argv; the command line must be accepted.
turn::CommandLine parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"turnd"};
  for (const auto& a : args)
    argv.push_back(a.c_str());
  turn::CommandLine cl;
  const auto status =
      turn::parse_command_line(static_cast<int>(argv.size()), argv.data(), "turnd test", cl);
  CHECK_FALSE(status.has_value());
  return cl;
}

std::string message_of(const std::vector<turn::ConfigEntry>& file,
                       const std::vector<turn::ConfigEntry>& cli) {
  std::vector<std::string> warnings;
  try {
    turn::apply_entries(file, cli, warnings);
  } catch (const turn::ConfigError& e) {
    return e.what();
  }
  return "";
}

/// The text after "ORIGIN: ", so a file's and the command line's errors compare.
std::string after_origin(const std::string& what, const std::string& origin) {
  REQUIRE(what.rfind(origin + ": ", 0) == 0);
  return what.substr(origin.size() + 2);
}

}  // namespace

TEST_CASE("command line: every entry under --name loads as the same entry in a file does") {
  for (const auto& o : turn::option_table()) {
    CAPTURE(o.name);
    const std::string name(o.name);
    const auto cl =
        parse({o.example.empty() ? "--" + name : "--" + name + "=" + std::string(o.example)});
    REQUIRE(cl.entries.size() == 1);
    CHECK(cl.entries[0].name == name);
    CHECK(cl.entries[0].value == o.example);
    CHECK(cl.entries[0].has_value == !o.example.empty());
    CHECK(cl.entries[0].origin == "command line");

    turn::ConfigEntry in_file;
    std::vector<std::string> warnings;
    REQUIRE(turn::parse_config_line(line_of(o), "a.conf:1", in_file, warnings));
    switch (o.role) {
      case Role::kSetting:
      case Role::kAlias:
      case Role::kAccepted: {
        const turn::Config from_cli = turn::apply_entries({}, cl.entries, warnings);
        CHECK(warnings.empty());
        CHECK(from_cli.origin_of(name) == "command line");
        CHECK(without_origins(from_cli) ==
              without_origins(turn::apply_entries({in_file}, {}, warnings)));
        break;
      }
      case Role::kRefused:
        CHECK(after_origin(message_of({}, cl.entries), "command line") ==
              after_origin(message_of({in_file}, {}), "a.conf:1"));
        break;
      case Role::kLegacy:
        // CLI11 takes the name; the loader then refuses it, as it always has on the command
        // line (only a file's legacy names are a warning).
        CHECK(message_of({}, cl.entries) == "command line: unknown option '" + name + "'");
        break;
    }
  }
}

TEST_CASE("command line: every short name reaches its entry") {
  int checked = 0;
  for (const auto& o : turn::option_table()) {
    if (o.short_name == 0)
      continue;
    CAPTURE(o.name);
    const std::string dash = "-" + std::string(1, o.short_name);
    // Short flags are given bare; a value option takes the next argument.
    const auto cl = o.takes_value ? parse({dash, std::string(o.example)}) : parse({dash});
    REQUIRE(cl.entries.size() == 1);
    CHECK(cl.entries[0].name == o.name);
    CHECK(cl.entries[0].value == (o.takes_value ? o.example : ""));
    ++checked;
  }
  CHECK(checked == 27);
}

TEST_CASE("command line: repeated options keep every value in order and replace the file's") {
  const auto cl = parse({"-L", "127.0.0.1", "--listening-ip", "::1", "--realm=cli.org", "-n"});
  CHECK(cl.no_config);
  REQUIRE(cl.entries.size() == 3);
  std::vector<std::string> warnings;
  turn::ConfigEntry file_ip{"listening-ip", "10.0.0.1", true, "a.conf:1"};
  const turn::Config c = turn::apply_entries({file_ip}, cl.entries, warnings);
  REQUIRE(c.listening_ips.size() == 2);
  CHECK(c.listening_ips[0].ip_string() == "127.0.0.1");
  CHECK(c.listening_ips[1].ip_string() == "::1");
  CHECK(c.realm == "cli.org");
}

TEST_CASE("command line: -c, -n and --check-config are turnd's own") {
  auto cl = parse({"-c", "/etc/turnd.conf", "--check-config"});
  CHECK(cl.config_file == "/etc/turnd.conf");
  CHECK(cl.check_config);
  CHECK_FALSE(cl.no_config);
  CHECK(cl.entries.empty());
  cl = parse({"-n"});
  CHECK(cl.no_config);
  CHECK_FALSE(cl.check_config);
}

TEST_CASE("command line: an option no table entry has stops with a non-zero status") {
  std::vector<const char*> argv = {"turnd", "--no-such-option"};
  turn::CommandLine cl;
  const auto status = turn::parse_command_line(2, argv.data(), "turnd test", cl);
  REQUIRE(status.has_value());
  CHECK(*status != 0);
}
