// The SIGHUP classification generated from the option table (keep_restart_only): a changed
// restart-only setting keeps its running value and is named; a live one is handed over.
#include <doctest/doctest.h>

#include "config/table_fixtures.hpp"
#include "reload.hpp"

using tabletest::entries;
using tabletest::from_text;
using tabletest::line_of;
using tabletest::without_origins;
using turn::Role;

TEST_CASE("reload classification: each restart-only change is kept and named, each live one not") {
  const turn::Config running = from_text("");
  for (const auto* o : entries({Role::kSetting, Role::kAlias})) {
    CAPTURE(o->name);
    const turn::OptionDef& setting = tabletest::setting_of(*o);
    turn::Config next = from_text(line_of(*o) + "\n");
    REQUIRE_FALSE(setting.same(next, running));
    const turn::Config loaded = next;
    const auto names = turn::keep_restart_only(running, next);
    if (setting.reload == turn::Reload::kRestart) {
      CHECK(names == std::vector<std::string>{std::string(setting.name)});
      CHECK(without_origins(next) == without_origins(running));
    } else {
      CHECK(names.empty());
      CHECK(next == loaded);
    }
  }
}

TEST_CASE("reload classification: all restart-only changes at once, each named once") {
  std::string text;
  std::vector<std::string> expected;
  for (const auto* o : entries({Role::kSetting})) {
    if (o->reload == turn::Reload::kRestart) {
      text += line_of(*o) + "\n";
      expected.emplace_back(o->name);
    }
  }
  const turn::Config running = from_text("");
  turn::Config next = from_text(text);
  CHECK(turn::keep_restart_only(running, next) == expected);
  CHECK(without_origins(next) == without_origins(running));
  CHECK(turn::keep_restart_only(running, next).empty());  // nothing left to keep
}
