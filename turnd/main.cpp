// turnd: command line and configuration file into a Config, then Server::run(). No logic here.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "config/config_loader.hpp"
#include "config/config_printer.hpp"
#include "config/load_config.hpp"
#include "net/tls_context.hpp"
#include "server.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

namespace {

struct CommandLine {
  std::string config_file;
  bool no_config = false;
  bool check_config = false;
  std::vector<turn::ConfigEntry> entries;
};

/// Registers every known option with CLI11 under coturn's long and short names; values are
/// collected in order and applied by the same code as the file's.
void register_options(CLI::App& app, CommandLine& cl) {
  app.add_option("-c", cl.config_file, "configuration file (default: search turnserver.conf)");
  app.add_flag("-n", cl.no_config, "use no configuration file");
  app.add_flag("--check-config", cl.check_config,
               "print the effective configuration and exit (non-zero on any error)");
  for (const auto& o : turn::known_options()) {
    std::string names = "--" + std::string(o.name);
    if (o.short_name != 0 && o.short_name != 'c' && o.short_name != 'n') {
      names += ",-" + std::string(1, o.short_name);
    }
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

std::string find_config_file(const CommandLine& cl) {
  if (cl.no_config)
    return {};
  if (!cl.config_file.empty())
    return cl.config_file;
  for (const auto& p : turn::default_config_paths()) {
    if (std::filesystem::exists(p))
      return p;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"turnd: TURN/STUN relay server, a drop-in for coturn's turnserver"};
  app.set_version_flag("--version", std::string("turnd ") + TURND_VERSION);
  CommandLine cl;
  register_options(app, cl);
  CLI11_PARSE(app, argc, argv);

  try {
    std::vector<std::string> warnings;
    const std::string file = find_config_file(cl);
    turn::Config config = turn::load_config(file, cl.entries, warnings);
    if (!turn::log::configure(turn::log_options(config))) {
      throw turn::ConfigError(config.origin_of("log-file") + ": option 'log-file': cannot open " +
                              config.log_file);
    }
    turn::log::info("configuration: " + (file.empty() ? std::string("embedded default") : file));
    for (const auto& w : warnings)
      turn::log::warning(w);
    if (cl.check_config) {
      // Startup fails on an unreadable or mismatched certificate, so the check does too.
      const std::string tls =
          config.cert.empty() ? std::string()
                              : "# tls: " + turn::TlsContext::load(config)->description() + "\n";
      std::cout << turn::describe_config(config) << tls << "# configuration OK ("
                << (file.empty() ? "embedded default" : file) << ")\n";
      return 0;
    }
    if (config.daemon)
      turn::daemonize();
    const unsigned long files = turn::raise_open_file_limit();
    turn::log::info("open file limit: " + std::to_string(files) +
                    " (each allocation holds one relay socket)");
    const std::string pidfile = config.pidfile;
    const std::string user = config.proc_user;
    const std::string group = config.proc_group;
    turn::Server server(std::move(config));  // binds every socket while still privileged
    server.set_config_loader([file, cli = cl.entries] {
      std::vector<std::string> reload_warnings;
      turn::Config next = turn::load_config(file, cli, reload_warnings);
      for (const auto& w : reload_warnings)
        turn::log::warning(w);
      return next;
    });
    turn::write_pidfile(pidfile);
    turn::drop_privileges(user, group);
    const int status = server.run();
    turn::remove_pidfile(pidfile);
    return status;
  } catch (const turn::ConfigError& e) {
    std::fprintf(stderr, "turnd: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "turnd: %s\n", e.what());
    return 1;
  }
}
