// The whole load: a file (or the embedded default) plus command-line entries into a Config.
// Used at start and again on SIGHUP, with the same file and command line.
#pragma once

#include <string>
#include <vector>

#include "config/config_loader.hpp"

namespace turn {

/// The file turnd reads: "" with -n (`no_config`), else `explicit_file` (-c), else the first
/// file of default_config_paths() that exists, else "" (the embedded default). turnctl finds
/// turnd's configuration the same way.
std::string locate_config_file(bool no_config, const std::string& explicit_file);

/// Reads `file` ("" = the embedded default) and applies `cli` over it. Throws ConfigError.
Config load_config(const std::string& file, const std::vector<ConfigEntry>& cli,
                   std::vector<std::string>& warnings);

}  // namespace turn
