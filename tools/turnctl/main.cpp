// turnctl: the operator's command for a running turnd. It reads the turnserver.conf turnd reads
// (-c FILE, else turnd's search path, -n for none) so that on a configured host it needs no
// flags. Commands: probe (a STUN Binding round trip: the container's HEALTHCHECK), allocate (an
// authenticated Allocate that follows 300 Try Alternate), and the admin
// API's (admin_commands.hpp): sessions, show, kill, drain, reload, config, bans, unban.
// Exit status: 0 success, 1 the server failed the command, 2 bad command line or config, 3 the
// admin API refused the password.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "admin_commands.hpp"
#include "config/config_loader.hpp"
#include "config/load_config.hpp"
#include "probe_target.hpp"
#include "stun_probe.hpp"
#include "turn_allocate.hpp"

namespace {

struct Options {
  std::string config_file;
  bool no_config = false;
  std::string server;  ///< probe: ADDRESS[:PORT] instead of the config's
  bool tcp = false;
  int timeout_ms = 2000;
  bool quiet = false;
  std::string turn_user;      ///< allocate: --username
  std::string turn_password;  ///< allocate: --credential
  int max_redirects = 3;
  bool keep = false;
  std::string admin;     ///< the admin API's ADDRESS[:PORT] instead of the config's
  std::string password;  ///< instead of TURNCTL_PASSWORD / cli-password
  turnctl::AdminCommand command;
};

turn::Config configuration(const Options& o) {
  std::vector<std::string> warnings;
  const std::string file = turn::locate_config_file(o.no_config, o.config_file);
  return turn::load_config(file, {}, warnings);
}

int run_admin(const Options& o) {
  try {
    const auto endpoint = turnctl::admin_endpoint(configuration(o), o.admin, o.password);
    return turnctl::run_admin_command(o.command, endpoint);
  } catch (const turnctl::AdminSetupError& e) {
    std::fprintf(stderr, "turnctl: %s\n", e.what());
    return 2;
  }
}

/// --server ADDR[:PORT] over `target` (the port from the config when absent); false, with the
/// message printed, when it is no address.
bool server_override(const Options& o, const turn::Config& config, stun::SocketAddress& target) {
  if (o.server.empty())
    return true;
  auto address = stun::SocketAddress::parse(o.server);
  if (!address) {
    std::fprintf(stderr, "turnctl: --server '%s' is not ADDRESS[:PORT]\n", o.server.c_str());
    return false;
  }
  if (address->port == 0)
    address->port = config.listening_port;
  target = *address;
  return true;
}

int run_probe(const Options& o) {
  const turn::Config config = configuration(o);
  turnctl::ProbeTarget target = turnctl::probe_target(config);
  if (!server_override(o, config, target.address))
    return 2;
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

int run_allocate(const Options& o) {
  const turn::Config config = configuration(o);
  turnctl::AllocateOptions a;
  a.server = turnctl::probe_target(config).address;
  if (!server_override(o, config, a.server))
    return 2;
  a.transport = o.tcp ? turnctl::ProbeTransport::kTcp : turnctl::ProbeTransport::kUdp;
  a.user = o.turn_user;
  a.password = o.turn_password;
  a.max_redirects = o.max_redirects;
  a.timeout = std::chrono::milliseconds(o.timeout_ms);
  a.keep = o.keep;
  const auto r = turnctl::allocate_following(a);
  if (o.command.json) {
    nlohmann::json j = {{"ok", r.ok}, {"server", r.server.to_string()}};
    j["redirects"] = nlohmann::json::array();
    for (const auto& hop : r.redirects)
      j["redirects"].push_back(hop.to_string());
    if (!r.alternate_domain.empty())
      j["alternate_domain"] = r.alternate_domain;
    if (r.ok) {
      j["relayed"] = r.relayed.to_string();
      j["mapped"] = r.mapped.to_string();
      j["lifetime"] = r.lifetime;
    } else {
      j["error"] = r.error;
    }
    std::printf("%s\n", j.dump().c_str());
  } else if (r.ok) {
    for (const auto& hop : r.redirects)
      std::printf("redirected by %s\n", hop.to_string().c_str());
    std::printf("ok: allocated on %s: relayed %s, mapped %s, lifetime %u s\n",
                r.server.to_string().c_str(), r.relayed.to_string().c_str(),
                r.mapped.to_string().c_str(), r.lifetime);
  }
  if (!r.ok && !o.command.json) {
    std::fprintf(stderr, "turnctl: allocate on %s failed: %s\n", r.server.to_string().c_str(),
                 r.error.c_str());
  }
  return r.ok ? 0 : 1;
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

  auto* allocate = app.add_subcommand(
      "allocate",
      "authenticated TURN Allocate that follows 300 Try Alternate; prints the server that "
      "accepted and the relayed address (exit 0 on success)");
  allocate->add_option("--server", o.server, "ADDRESS[:PORT] (default: from the configuration)");
  allocate->add_flag("--tcp", o.tcp, "over TCP instead of UDP");
  allocate->add_option("--username", o.turn_user, "TURN username")->required();
  allocate->add_option("--credential", o.turn_password, "TURN password")->required();
  allocate->add_option("--max-redirects", o.max_redirects, "300 answers to follow (default 3)")
      ->check(CLI::Range(0, 10));
  allocate->add_option("--timeout-ms", o.timeout_ms, "how long to wait for each answer")
      ->check(CLI::Range(1, 60000));
  allocate->add_flag("--keep", o.keep, "leave the allocation (default: Refresh 0 releases it)");
  allocate->add_flag("--json", o.command.json, "print one JSON object instead of text");

  // The admin API's commands (turnd's cli-ip:cli-port, password cli-password).
  app.add_option("--admin", o.admin,
                 "admin API ADDRESS[:PORT] (default: cli-ip and cli-port of the configuration)");
  app.add_option("--password", o.password,
                 "admin API password (default: $TURNCTL_PASSWORD, else a plain cli-password of "
                 "the configuration; a $5$ hash needs one of these)");
  app.add_flag("--json", o.command.json, "print the admin API's JSON instead of a table");
  app.fallthrough();  // the options above also work after the command's name
  using turnctl::AdminVerb;
  std::vector<std::pair<CLI::App*, AdminVerb>> admin_commands;
  auto admin_command = [&](const char* name, const char* help, AdminVerb verb) {
    CLI::App* sub = app.add_subcommand(name, help);
    admin_commands.emplace_back(sub, verb);
    return sub;
  };
  admin_command("sessions", "list sessions: client, user, relay, age, lifetime left, traffic",
                AdminVerb::kSessions)
      ->add_option("--user", o.command.user, "only this user's");
  admin_command("show", "one session in full (permissions, channels)", AdminVerb::kShow)
      ->add_option("id", o.command.id, "session id (as `turnctl sessions` lists it)")
      ->required();
  auto* kill = admin_command(
      "kill", "end a session, or all of a user's: the client gets no more relay", AdminVerb::kKill);
  auto* kill_id = kill->add_option("id", o.command.id, "session id");
  auto* kill_user = kill->add_option("--user", o.command.user, "end every session of this user");
  kill_id->excludes(kill_user);
  kill->require_option(1);
  admin_command("drain",
                "refuse (or redirect to the alternate servers) new allocations; turnd stops once "
                "the last one ends (SIGUSR1)",
                AdminVerb::kDrain);
  admin_command("reload", "re-read the configuration and users, keeping allocations (SIGHUP)",
                AdminVerb::kReload);
  admin_command("config", "the running configuration, secrets masked", AdminVerb::kConfig);
  admin_command("bans", "sources banned for too many authentication failures", AdminVerb::kBans);
  admin_command("unban", "lift a ban", AdminVerb::kUnban)
      ->add_option("source", o.command.source, "the banned source, as `turnctl bans` lists it")
      ->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (probe->parsed())
      return run_probe(o);
    if (allocate->parsed())
      return run_allocate(o);
    for (const auto& [sub, verb] : admin_commands) {
      if (sub->parsed()) {
        o.command.verb = verb;
        return run_admin(o);
      }
    }
  } catch (const turn::ConfigError& e) {
    std::fprintf(stderr, "turnctl: %s\n", e.what());
    return 2;
  }
  return 2;
}
