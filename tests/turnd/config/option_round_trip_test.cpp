// The --check-config printer generated from the option table: every setting prints, what it
// prints reads back as the same configuration, and no secret is ever printed.
#include <doctest/doctest.h>

#include "config/config_printer.hpp"
#include "config/table_fixtures.hpp"

using tabletest::entries;
using tabletest::from_text;
using tabletest::line_of;
using tabletest::without_origins;
using turn::Role;

namespace {

bool has_line_for(const std::string& out, std::string_view name) {
  const std::string start = std::string(name) + "=";
  return out.rfind(start, 0) == 0 || out.find("\n" + start) != std::string::npos;
}

/// The database servers: one user database at most, and `userdb` is in every file below.
bool is_database_server(std::string_view name) {
  return name == "redis-userdb" || name == "psql-userdb" || name == "mysql-userdb";
}

/// Every setting's example in one file (the examples are chosen to fit together).
std::string all_settings(bool with_secrets) {
  std::string text;
  for (const auto* o : entries({Role::kSetting})) {
    if ((with_secrets || !o->secret) && !is_database_server(o->name))
      text += line_of(*o) + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("printer: every setting and alias reads back as set, through its own line") {
  for (const auto* o : entries({Role::kSetting, Role::kAlias})) {
    CAPTURE(o->name);
    const turn::Config c = from_text(line_of(*o) + "\n");
    const std::string out = turn::describe_config(c);
    CAPTURE(out);
    if (o->role == Role::kSetting)
      CHECK(has_line_for(out, o->name));
    const turn::Config back = from_text(out);
    if (tabletest::setting_of(*o).secret) {
      CHECK(turn::describe_config(back) == out);  // masked, so equal as printed
    } else {
      CHECK(without_origins(back) == without_origins(c));
    }
  }
}

TEST_CASE("printer: the defaults and every setting at once read back equal") {
  const turn::Config d = from_text("");
  const std::string out = turn::describe_config(d);
  CHECK(without_origins(from_text(out)) == without_origins(d));

  const turn::Config all = from_text(all_settings(false));
  CHECK(without_origins(from_text(turn::describe_config(all))) == without_origins(all));
  // Every setting differs from its default in `all`, so none can be left out unnoticed.
  for (const auto* o : entries({Role::kSetting})) {
    CAPTURE(o->name);
    CHECK(o->same(all, d) == o->secret);
  }
}

TEST_CASE("printer: no secret entry's value is printed; the masks read back as masks") {
  // Every secret example carries the same marker, so one search covers them all.
  for (const auto& o : turn::option_table()) {
    if (o.secret) {
      CAPTURE(o.name);
      CHECK(std::string(o.example).find("s3cret") != std::string::npos);
    }
  }
  const turn::Config all = from_text(all_settings(true));
  const std::string out = turn::describe_config(all);
  CHECK(out.find("s3cret") == std::string::npos);
  CHECK(has_line_for(out, "pkey-pwd"));
  CHECK(out.find("\nuser=alice:***\n") != std::string::npos);
  CHECK(out.find("\nstatic-auth-secret=***\n") != std::string::npos);
  CHECK(turn::describe_config(from_text(out)) == out);
  // The database servers, each alone (they exclude each other): only the password is masked.
  for (const auto* o : entries({Role::kSetting})) {
    if (!is_database_server(o->name))
      continue;
    CAPTURE(o->name);
    const std::string printed = turn::describe_config(from_text(line_of(*o) + "\n"));
    CHECK(printed.find("s3cret") == std::string::npos);
    CHECK(printed.find("password=***") != std::string::npos);
  }
}
