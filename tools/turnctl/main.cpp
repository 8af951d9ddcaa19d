// turnctl: the operator's command for a running turnd. It reads the turnserver.conf turnd reads
// (-c FILE, else turnd's search path, -n for none) so that on a configured host it needs no
// flags. Commands: probe (a STUN Binding round trip: the container's HEALTHCHECK).
// Exit status: 0 success, 1 the server failed the command, 2 bad command line or config.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "config/config_loader.hpp"
#include "config/load_config.hpp"
#include "probe_target.hpp"
#include "stun_probe.hpp"

namespace {

struct Options {
  std::string config_file;
  bool no_config = false;
  std::string server;  ///< probe: ADDRESS[:PORT] instead of the config's
  bool tcp = false;
  int timeout_ms = 2000;
  bool quiet = false;
};

int run_probe(const Options& o) {
  std::vector<std::string> warnings;
  const std::string file = turn::locate_config_file(o.no_config, o.config_file);
  const turn::Config config = turn::load_config(file, {}, warnings);
  turnctl::ProbeTarget target = turnctl::probe_target(config);
  if (!o.server.empty()) {
    auto address = stun::SocketAddress::parse(o.server);
    if (!address) {
      std::fprintf(stderr, "turnctl: --server '%s' is not ADDRESS[:PORT]\n", o.server.c_str());
      return 2;
    }
    if (address->port == 0)
      address->port = config.listening_port;
    target.address = *address;
  }
  if (o.tcp)
    target.transport = turnctl::ProbeTransport::kTcp;
  const char* transport = target.transport == turnctl::ProbeTransport::kTcp ? "tcp" : "udp";
  const auto result = turnctl::probe_binding(target.address, target.transport,
                                             std::chrono::milliseconds(o.timeout_ms));
  if (!result.ok) {
    std::fprintf(stderr, "turnctl: probe %s %s failed: %s\n", transport,
                 target.address.to_string().c_str(), result.error.c_str());
    return 1;
  }
  if (!o.quiet) {
    std::printf("ok: %s %s answered a Binding request in %.1f ms (mapped address %s)\n", transport,
                target.address.to_string().c_str(),
                static_cast<double>(result.rtt.count()) / 1000.0,
                result.mapped.to_string().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"turnctl: control and check a running turnd", "turnctl"};
  app.set_version_flag("--version", std::string("turnctl ") + TURND_VERSION);
  app.add_option("-c,--config", o.config_file, "turnserver.conf (default: turnd's search path)");
  app.add_flag("-n,--no-config", o.no_config, "use turnd's embedded default configuration");
  app.require_subcommand(1);
  auto* probe = app.add_subcommand(
      "probe", "STUN Binding round trip against the server (exit 0 when it answers)");
  probe->add_option("--server", o.server, "ADDRESS[:PORT] (default: from the configuration)");
  probe->add_flag("--tcp", o.tcp, "over TCP instead of UDP");
  probe->add_option("--timeout-ms", o.timeout_ms, "how long to wait for the answer")
      ->check(CLI::Range(1, 60000));
  probe->add_flag("-q,--quiet", o.quiet, "print nothing on success");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (probe->parsed())
      return run_probe(o);
  } catch (const turn::ConfigError& e) {
    std::fprintf(stderr, "turnctl: %s\n", e.what());
    return 2;
  }
  return 2;
}
