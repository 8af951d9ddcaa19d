#include "config/load_config.hpp"

#include <filesystem>

namespace turn {
namespace {

std::vector<ConfigEntry> embedded_entries(std::vector<std::string>& warnings) {
  std::vector<ConfigEntry> entries;
  std::size_t line_no = 0;
  std::string_view text = embedded_default_config();
  while (!text.empty()) {
    const auto nl = text.find('\n');
    ConfigEntry e;
    if (parse_config_line(text.substr(0, nl), "embedded:" + std::to_string(++line_no), e,
                          warnings)) {
      entries.push_back(std::move(e));
    }
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return entries;
}

}  // namespace

std::string locate_config_file(bool no_config, const std::string& explicit_file) {
  if (no_config)
    return {};
  if (!explicit_file.empty())
    return explicit_file;
  for (const auto& p : default_config_paths()) {
    if (std::filesystem::exists(p))
      return p;
  }
  return {};
}

Config load_config(const std::string& file, const std::vector<ConfigEntry>& cli,
                   std::vector<std::string>& warnings) {
  // No file (-n, or none on the search path): the embedded defaults, then the command line.
  const auto entries = file.empty() ? embedded_entries(warnings) : read_config_file(file, warnings);
  return apply_entries(entries, cli, warnings);
}

}  // namespace turn
