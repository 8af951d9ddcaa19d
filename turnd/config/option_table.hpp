// The one table of every option turnd knows, as util/stats.hpp is for the counters. Adding an
// option is one entry in option_table.cpp; the loader (config_loader.cpp), the --check-config
// printer (config_printer.cpp), the command line (command_line.cpp) and the SIGHUP
// classification (reload.cpp) are loops over it, so none of them names an option.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/config_loader.hpp"

namespace turn {

/// coturn reads a file in three passes so the log is set up before anything else is reported
/// and users are read once the realm is known.
enum class Pass : std::uint8_t { kLogging, kMain, kUsers };

/// Whether a SIGHUP may change the option's value in the running server.
enum class Reload : std::uint8_t {
  kLive,     ///< handed to the workers with the rest of the reloaded settings
  kRestart,  ///< kept at its running value, and logged as needing a restart
};

/// What an entry does with its value.
enum class Role : std::uint8_t {
  kSetting,   ///< owns one Config field: sets it, prints it, and is compared on SIGHUP
  kAlias,     ///< another spelling that sets a setting's field (no-dtls, db, Verbose)
  kAccepted,  ///< checked, then has no effect (new-log-timestamp: timestamps are always full)
  kLegacy,    ///< a coturn name turnd does not act on: a warning saying what turnd does instead
  kRefused,   ///< a coturn name turnd cannot honour: an error naming file:line and option
};

struct OptionDef {
  std::string_view name;  ///< coturn's spelling: the file's name and the command line's --name
  char short_name = 0;    ///< coturn's -X, or 0
  Role role = Role::kSetting;
  bool takes_value = true;  ///< false: a flag, which may still carry on/off
  bool repeatable = false;  ///< appends; a command-line list replaces the file's
  Pass pass = Pass::kMain;
  Reload reload = Reload::kLive;  ///< kSetting only: an alias follows its setting
  bool secret = false;            ///< the printer masks the value (passwords, REST secrets)
  std::string_view alias_of;      ///< kAlias: the setting whose field it sets
  std::string_view note;          ///< kLegacy: the warning, after "option 'NAME' "
  /// A valid value that differs from the default ("" is the bare flag; secrets contain
  /// "s3cret"): the tests load every entry with it, from a file and from the command line, and
  /// print it back.
  std::string_view example;

  /// Parses the entry into the Config; throws ConfigError naming its origin and option.
  std::function<void(Config&, const ConfigEntry&)> apply;
  /// kSetting: appends the option's lines in the file's grammar (none for an unset optional
  /// value); `secret` is the entry's own flag, so masking follows the table.
  std::function<void(std::ostream&, const Config&, bool secret)> print;
  /// kSetting: whether two configurations agree on the field, and copying it from one to the
  /// other (SIGHUP keeps a restart-only field's running value).
  std::function<bool(const Config&, const Config&)> same;
  std::function<void(const Config& from, Config& to)> copy;
};

/// Every entry, in the order --check-config prints them.
const std::vector<OptionDef>& option_table();

/// The entry with this exact name, or nullptr.
const OptionDef* find_option(std::string_view name);

}  // namespace turn
