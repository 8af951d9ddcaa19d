// The option table is well formed, and the loader generated from it accepts every entry from a
// file with the entry's effect, naming file:line for errors and warnings.
#include "config/option_table.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>

#include "config/table_fixtures.hpp"

using tabletest::entries;
using tabletest::line_of;
using tabletest::TempFile;
using tabletest::without_origins;
using turn::Role;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::set<std::string> names_where(bool (*pred)(const turn::OptionDef&)) {
  std::set<std::string> out;
  for (const auto& o : turn::option_table()) {
    if (pred(o))
      out.emplace(o.name);
  }
  return out;
}

}  // namespace

TEST_CASE("option table: unique names and short names; each role has what its generators use") {
  std::map<std::string_view, int> names;
  std::map<char, std::string_view> shorts;
  for (const auto& o : turn::option_table()) {
    CAPTURE(o.name);
    CHECK(++names[o.name] == 1);
    if (o.short_name != 0) {
      CHECK(shorts.emplace(o.short_name, o.name).second);
    }
    CHECK(turn::find_option(o.name) == &o);
    const bool setting = o.role == Role::kSetting;
    CHECK(static_cast<bool>(o.print) == setting);  // the printer writes settings only
    CHECK(static_cast<bool>(o.same) == setting);   // and SIGHUP compares them
    CHECK(static_cast<bool>(o.copy) == setting);
    CHECK(static_cast<bool>(o.apply) == (o.role != Role::kLegacy));
    CHECK(o.note.empty() == (o.role != Role::kLegacy));
    CHECK(o.alias_of.empty() == (o.role != Role::kAlias));
    if (o.role == Role::kAlias) {
      const turn::OptionDef* target = turn::find_option(o.alias_of);
      REQUIRE(target != nullptr);
      CHECK(target->role == Role::kSetting);
      CHECK(o.reload == turn::Reload::kLive);  // an alias follows its setting
    }
    if (o.role != Role::kSetting)
      CHECK(o.reload == turn::Reload::kLive);
  }
  CHECK_FALSE(turn::find_option("no-such-option"));
}

TEST_CASE("option table: the restart-only settings are the ones SIGHUP has always kept") {
  // reload.cpp's hand-written list before the table (README: Run and operate).
  const std::set<std::string> expected = {
      "listening-port", "listening-ip", "no-udp", "no-tcp", "no-tls", "dtls", "tls-listening-port",
      "alt-listening-port", "alt-tls-listening-port", "prometheus", "prometheus-port",
      "prometheus-address", "prometheus-path", "prometheus-username-labels",
      // the admin API's listener (issue 15)
      "no-cli", "cli-ip", "cli-port", "cli-password", "relay-threads", "kernel-offload", "min-port",
      "max-port", "realm", "stale-nonce", "daemon", "pidfile", "proc-user", "proc-group"};
  CHECK(names_where([](const turn::OptionDef& o) { return o.reload == turn::Reload::kRestart; }) ==
        expected);
}

TEST_CASE("option table: passwords, REST secrets and connection strings are secret") {
  const std::set<std::string> expected = {
      "pkey-pwd",      "user",         "static-auth-secret",    "redis-userdb",
      "psql-userdb",   "sql-userdb",   "mysql-userdb",          "mongo-userdb",
      "redis-statsdb", "cli-password", "stateless-nonce-secret"};
  CHECK(names_where([](const turn::OptionDef& o) { return o.secret; }) == expected);
}

TEST_CASE("option table: coturn's short names, as the command line has always had them") {
  const std::map<char, std::string> expected = {{'p', "listening-port"},
                                                {'L', "listening-ip"},
                                                {'S', "stun-only"},
                                                {'E', "relay-ip"},
                                                {'X', "external-ip"},
                                                {'m', "relay-threads"},
                                                {'A', "allocation-default-address-family"},
                                                {'K', "keep-address-family"},
                                                {'a', "lt-cred-mech"},
                                                {'z', "no-auth"},
                                                {'r', "realm"},
                                                {'u', "user"},
                                                {'b', "userdb"},
                                                {'C', "rest-api-separator"},
                                                {'N', "redis-userdb"},
                                                {'e', "psql-userdb"},
                                                {'M', "mysql-userdb"},
                                                {'J', "mongo-userdb"},
                                                {'q', "user-quota"},
                                                {'Q', "total-quota"},
                                                {'s', "max-bps"},
                                                {'B', "bps-capacity"},
                                                {'f', "fingerprint"},
                                                {'l', "log-file"},
                                                {'v', "verbose"},
                                                {'V', "Verbose"},
                                                {'o', "daemon"}};
  std::map<char, std::string> actual;
  for (const auto& o : turn::option_table()) {
    if (o.short_name != 0)
      actual.emplace(o.short_name, o.name);
  }
  CHECK(actual == expected);
}

TEST_CASE("loader: every setting, alias and accepted entry loads from a file with its effect") {
  const turn::Config defaults = without_origins(tabletest::from_text(""));
  for (const auto* o : entries({Role::kSetting, Role::kAlias, Role::kAccepted})) {
    CAPTURE(o->name);
    TempFile file("# one option\n" + line_of(*o) + "\n");
    std::vector<std::string> warnings;
    const turn::Config c = tabletest::from_file(file, warnings);
    CHECK(warnings.empty());
    CHECK(c.origin_of(std::string(o->name)) == file.path + ":2");
    if (o->role == Role::kAccepted) {
      CHECK(without_origins(c) == defaults);
      continue;
    }
    // The example is not the default, so the field the entry sets must have changed.
    CHECK_FALSE(tabletest::setting_of(*o).same(c, defaults));
  }
}

TEST_CASE("loader: a bad value for any entry names the file, the line and the option") {
  for (const auto* o : entries({Role::kSetting, Role::kAlias, Role::kAccepted})) {
    CAPTURE(o->name);
    // A value-taking option given bare, or a flag given a word that is not on/off.
    TempFile file("realm=r\n\n" + std::string(o->name) + (o->takes_value ? "" : "=maybe") + "\n");
    const std::string what = tabletest::error_of(file);
    CHECK(contains(what, file.path + ":3: option '" + std::string(o->name) + "'"));
  }
}

TEST_CASE("loader: refused entries stop the load, naming file:line, the option and why") {
  const auto refused = entries({Role::kRefused});
  CHECK(refused.size() == 1);  // mongo-userdb; 5 before redis/psql/sql/mysql-userdb (issue 16)
  for (const auto* o : refused) {
    CAPTURE(o->name);
    TempFile file("realm=r\n" + line_of(*o) + "\n");
    const std::string what = tabletest::error_of(file);
    CHECK(what.find(file.path + ":2: option '" + std::string(o->name) + "'") == 0);
    CHECK(contains(what, "not supported by turnd"));
  }
}

TEST_CASE("loader: legacy entries warn from a file, naming file:line and what turnd does") {
  const turn::Config defaults = without_origins(tabletest::from_text(""));
  const auto legacy = entries({Role::kLegacy});
  // 59 before the admin API took no-cli and cli-ip/port/password; 55 before the four
  // *alternate-server names became real.
  CHECK(legacy.size() == 51);
  for (const auto* o : legacy) {
    CAPTURE(o->name);
    TempFile file("realm=turnd\n" + line_of(*o) + "\n");
    std::vector<std::string> warnings;
    const turn::Config c = tabletest::from_file(file, warnings);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] ==
          file.path + ":2: option '" + std::string(o->name) + "' " + std::string(o->note));
    CHECK(without_origins(c) == defaults);
  }
}

TEST_CASE("loader: known_options() is the table, name for name") {
  const auto known = turn::known_options();
  const auto& table = turn::option_table();
  REQUIRE(known.size() == table.size());
  for (std::size_t i = 0; i < known.size(); ++i) {
    CHECK(known[i].name == table[i].name);
    CHECK(known[i].short_name == table[i].short_name);
    CHECK(known[i].takes_value == table[i].takes_value);
  }
}
