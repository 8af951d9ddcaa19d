// turnd: command line and configuration file into a Config, then Server::run(). No logic here.
#include <cstdio>
#include <iostream>

#include "config/command_line.hpp"
#include "config/config_loader.hpp"
#include "config/config_printer.hpp"
#include "config/load_config.hpp"
#include "net/tls_context.hpp"
#include "server.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

int main(int argc, char** argv) {
  turn::CommandLine cl;
  if (auto status = turn::parse_command_line(argc, argv, std::string("turnd ") + TURND_VERSION, cl))
    return *status;

  try {
    std::vector<std::string> warnings;
    const std::string file = turn::locate_config_file(cl.no_config, cl.config_file);
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
    turn::drop_privileges(user, group, server.kernel_offload_attached());
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
