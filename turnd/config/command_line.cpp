#include "config/command_line.hpp"

#include <CLI/CLI.hpp>

#include "config/option_table.hpp"

namespace turn {
namespace {

/// Every table entry as --name (and -X), its values collected in order and applied by the same
/// code as the file's. Legacy and refused names are registered too, so the loader, not CLI11,
/// says what becomes of them.
void register_table(CLI::App& app, CommandLine& cl) {
  for (const auto& o : option_table()) {
    std::string names = "--" + std::string(o.name);
    // -c and -n are turnd's own (configuration file, none).
    if (o.short_name != 0 && o.short_name != 'c' && o.short_name != 'n')
      names += ",-" + std::string(1, o.short_name);
    const std::string name(o.name);
    // A vector, so a repeated option (-L a -L b) delivers every occurrence in order.
    auto* opt = app.add_option_function<std::vector<std::string>>(
        names,
        [&cl, name](const std::vector<std::string>& values) {
          for (const auto& v : values)
            cl.entries.push_back({name, v, !v.empty(), "command line"});
        },
        "coturn option " + name);
    if (!o.takes_value)
      opt->expected(0, 1)->default_str("");
    opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
}

}  // namespace

std::optional<int> parse_command_line(int argc, const char* const* argv, const std::string& version,
                                      CommandLine& out) {
  CLI::App app{"turnd: TURN/STUN relay server, a drop-in for coturn's turnserver"};
  app.set_version_flag("--version", version);
  app.add_option("-c", out.config_file, "configuration file (default: search turnserver.conf)");
  app.add_flag("-n", out.no_config, "use no configuration file");
  app.add_flag("--check-config", out.check_config,
               "print the effective configuration and exit (non-zero on any error)");
  register_table(app, out);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return std::nullopt;
}

}  // namespace turn
