// Reads coturn's turnserver.conf grammar and command line into a Config, each entry by its
// option_table.hpp entry.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace turn {

/// A configuration error; what() names the file, line and option.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One `name[=value]` as read from a file line or the command line.
struct ConfigEntry {
  std::string name;
  std::string value;
  bool has_value = false;
  std::string origin;  ///< "file:line" or "command line"
};

struct LoadResult {
  Config config;
  std::string file;                   ///< the file read, or "" (none / embedded)
  std::vector<std::string> warnings;  ///< each names file:line
};

/// Splits one config-file line by coturn's rules. Returns false for blank and comment lines.
bool parse_config_line(std::string_view line, const std::string& origin, ConfigEntry& out,
                       std::vector<std::string>& warnings);

/// Reads a whole file's entries; throws ConfigError when it cannot be read.
std::vector<ConfigEntry> read_config_file(const std::string& path,
                                          std::vector<std::string>& warnings);

/// Applies entries in coturn's three-pass order (logging, everything else, users), then
/// validates. Unknown names: a warning when from a file, a ConfigError from the command line.
Config apply_entries(const std::vector<ConfigEntry>& file_entries,
                     const std::vector<ConfigEntry>& cli_entries,
                     std::vector<std::string>& warnings);

/// The search path coturn uses when -c is not given.
std::vector<std::string> default_config_paths();

/// The configuration turnd runs on when no file is found (and the shipped conf/ examples'
/// baseline).
std::string_view embedded_default_config();

/// Every option name turnd knows (its own and the coturn names it accepts): the option table's
/// names, as the command line registers them.
struct OptionInfo {
  std::string_view name;
  char short_name;
  bool takes_value;
};
std::vector<OptionInfo> known_options();

}  // namespace turn
