// turnd's command line: -c, -n, --check-config and every option-table entry under coturn's long
// and short names, collected as entries the loader applies over the file's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config_loader.hpp"

namespace turn {

struct CommandLine {
  std::string config_file;  ///< -c FILE
  bool no_config = false;   ///< -n
  bool check_config = false;
  std::vector<ConfigEntry> entries;  ///< origin "command line"
};

/// Parses argv (argv[0] is the program). Returns the exit status when turnd should stop at once
/// (--help, --version, a malformed command line, after printing what CLI11 prints), or nullopt.
std::optional<int> parse_command_line(int argc, const char* const* argv, const std::string& version,
                                      CommandLine& out);

}  // namespace turn
