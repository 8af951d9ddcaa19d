#include "config/config_loader.hpp"

#include <fstream>
#include <map>

#include "config/option_table.hpp"
#include "config/option_values.hpp"

namespace turn {
namespace {

bool is_repeatable(std::string_view name) {
  const OptionDef* o = find_option(name);
  return o != nullptr && o->repeatable;
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

bool parse_config_line(std::string_view line, const std::string& origin, ConfigEntry& out,
                       std::vector<std::string>& warnings) {
  std::string s = trim(line);
  if (s.empty() || s[0] == '#')
    return false;
  if (s.back() == ';')
    warnings.push_back(origin + ": line ends with ';' (ignored as part of it)");
  // coturn: any run of ' ', '=' or TAB separates the name from the value.
  const auto sep = s.find_first_of(" =\t");
  out = ConfigEntry{};
  out.origin = origin;
  if (sep == std::string::npos) {
    out.name = s;
    return true;
  }
  out.name = s.substr(0, sep);
  const auto value_start = s.find_first_not_of(" =\t", sep);
  std::string value = value_start == std::string::npos ? "" : trim(s.substr(value_start));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  out.value = value;
  out.has_value = !value.empty();
  return true;
}

std::vector<ConfigEntry> read_config_file(const std::string& path,
                                          std::vector<std::string>& warnings) {
  std::ifstream in(path);
  if (!in)
    throw ConfigError(path + ": cannot read the configuration file");
  std::vector<ConfigEntry> entries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    ConfigEntry e;
    if (parse_config_line(line, path + ":" + std::to_string(number), e, warnings)) {
      entries.push_back(std::move(e));
    }
  }
  return entries;
}

Config apply_entries(const std::vector<ConfigEntry>& file_entries,
                     const std::vector<ConfigEntry>& cli_entries,
                     std::vector<std::string>& warnings) {
  Config config;
  // Repeatable options given on the command line replace the file's list.
  std::map<std::string, bool> cli_repeatable;
  for (const auto& e : cli_entries) {
    if (is_repeatable(e.name))
      cli_repeatable[e.name] = true;
  }
  for (Pass pass : {Pass::kLogging, Pass::kMain, Pass::kUsers}) {
    for (const auto* entries : {&file_entries, &cli_entries}) {
      const bool from_cli = entries == &cli_entries;
      for (const auto& e : *entries) {
        const OptionDef* o = find_option(e.name);
        // Unknown and legacy names are reported once, in the main pass.
        if (o == nullptr || o->role == Role::kLegacy) {
          if (pass != Pass::kMain)
            continue;
          if (from_cli)
            throw ConfigError(e.origin + ": unknown option '" + e.name + "'");
          warnings.push_back(o != nullptr
                                 ? e.origin + ": option '" + e.name + "' " + std::string(o->note)
                                 : e.origin + ": unknown option '" + e.name + "' ignored");
          continue;
        }
        if (o->pass != pass)
          continue;
        if (!from_cli && cli_repeatable.count(e.name))
          continue;
        o->apply(config, e);
        config.origins[e.name] = e.origin;
      }
    }
  }
  validate(config);
  return config;
}

std::vector<std::string> default_config_paths() {
  std::vector<std::string> paths;
  for (const char* dir : {"./", "./turnserver/", "./coturn/", "./etc/", "./etc/turnserver/",
                          "./etc/coturn/", "../etc/", "../etc/turnserver/", "../etc/coturn/",
                          "/etc/", "/etc/turnserver/", "/etc/coturn/", "/usr/local/etc/",
                          "/usr/local/etc/turnserver/", "/usr/local/etc/coturn/"}) {
    paths.push_back(std::string(dir) + "turnserver.conf");
  }
  return paths;
}

std::string_view embedded_default_config() {
  return R"(# turnd embedded default configuration: a STUN server and a TURN relay on UDP 3478 on every
# local address, long-term credentials in realm "turnd", relay ports 49152-65535, private and
# special-purpose peers denied. Add users with user=name:password or userdb=FILE.
listening-port=3478
lt-cred-mech
realm=turnd
min-port=49152
max-port=65535
)";
}

std::vector<OptionInfo> known_options() {
  std::vector<OptionInfo> out;
  for (const auto& o : option_table())
    out.push_back({o.name, o.short_name, o.takes_value});
  return out;
}

}  // namespace turn
