#include "config/config_loader.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <map>

#include "config/option_values.hpp"

namespace turn {
namespace {

using Apply = std::function<void(Config&, const ConfigEntry&)>;

enum class Pass : std::uint8_t { kLogging, kMain, kUsers };

struct OptionSpec {
  std::string_view name;
  char short_name;
  bool takes_value;  ///< false: a boolean flag that may still carry on/off
  Pass pass;
  Apply apply;
  bool repeatable = false;  ///< appends; a command-line list replaces the file's
};

[[noreturn]] void unsupported_userdb(Config&, const ConfigEntry& e) {
  throw ConfigError(e.origin + ": option '" + e.name +
                    "' is not supported (yet) by turnd: use userdb=FILE (a coturn SQLite "
                    "database or a flat user file)");
}

void apply_keep_address_family(Config& c, const ConfigEntry& e) {
  using Family = Config::AddressFamilyDefault;
  if (parse_bool(e)) {
    c.allocation_default_address_family = Family::kKeep;
  } else if (c.allocation_default_address_family == Family::kKeep) {
    c.allocation_default_address_family = Family::kIpv4;  // off undoes an earlier "on"
  }
}

/// The TCP, TLS and DTLS listener options. 0 turns a port off: TLS and DTLS are also detected
/// on listening-port by their first byte, as coturn does.
std::vector<OptionSpec> stream_listener_options() {
  return {
      {"tls-listening-port", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.tls_listening_port = parse_port_or_zero(e); }},
      {"alt-listening-port", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.alt_listening_port = parse_port_or_zero(e); }},
      {"alt-tls-listening-port", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.alt_tls_listening_port = parse_port_or_zero(e); }},
      {"no-tcp", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_tcp = parse_bool(e); }},
      {"no-tls", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_tls = parse_bool(e); }},
      // coturn 4.17 made DTLS opt-in (`dtls`); its `no-dtls` is deprecated but still honoured.
      {"dtls", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.dtls = parse_bool(e); }},
      {"no-dtls", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.dtls = !parse_bool(e); }},
  };
}

/// The TLS options: the loader records names; net/tls_context.cpp reads and checks the files.
std::vector<OptionSpec> tls_options() {
  return {
      {"cert", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.cert = require_value(e); }},
      {"pkey", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.pkey = require_value(e); }},
      {"pkey-pwd", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.pkey_pwd = require_value(e); }},
      {"cipher-list", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.cipher_list = require_value(e); }},
      {"ec-curve-name", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.ec_curve_name = require_value(e); }},
      {"dh-file", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.dh_file = require_value(e); }},
      {"CA-file", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.ca_file = require_value(e); }},
      // coturn 4.7 turned TLS 1.0 and 1.1 off and added these opt-ins. 4.6's no-tlsv1 and
      // no-tlsv1_1 ask for what is now the default, so they only clear the opt-ins.
      {"tlsv1", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.tlsv1 = parse_bool(e); }},
      {"tlsv1_1", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.tlsv1_1 = parse_bool(e); }},
      {"no-tlsv1", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.tlsv1 = !parse_bool(e); }},
      {"no-tlsv1_1", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.tlsv1_1 = !parse_bool(e); }},
      {"no-tlsv1_2", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_tlsv1_2 = parse_bool(e); }},
  };
}

/// coturn's Prometheus exporter (prometheus-tls/-cert/-key stay legacy: plain HTTP only).
std::vector<OptionSpec> metrics_options() {
  return {
      {"prometheus", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.prometheus = parse_bool(e); }},
      {"prometheus-port", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.prometheus_port = parse_port(e); }},
      {"prometheus-address", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.prometheus_address = parse_ip(e); }},
      {"prometheus-path", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) {
         const std::string& path = require_value(e);
         if (path.front() != '/' || path.find_first_of(" \t?#") != std::string::npos) {
           throw ConfigError(e.origin + ": option '" + e.name + "': '" + path +
                             "' is not an HTTP path (it must start with '/')");
         }
         c.prometheus_path = path;
       }},
      {"prometheus-username-labels", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.prometheus_username_labels = parse_bool(e); }},
  };
}

/// RFC 6062 TCP relays and the default relay address family (RFC 8656 §7.2, RFC 6156).
std::vector<OptionSpec> relay_family_options() {
  return {
      {"no-tcp-relay", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_tcp_relay = parse_bool(e); }},
      {"allocation-default-address-family", 'A', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) {
         c.allocation_default_address_family = parse_address_family(e);
       }},
      // coturn's deprecated -K: the same as allocation-default-address-family=keep.
      {"keep-address-family", 'K', false, Pass::kMain, apply_keep_address_family},
  };
}

// Repeatable options append; every other option overwrites, so the command line (applied after
// the file) wins.
std::vector<OptionSpec> general_options() {
  return {
      // Listeners
      {"listening-port", 'p', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.listening_port = parse_port(e); }},
      {"listening-ip", 'L', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.listening_ips.push_back(parse_ip(e)); },
       /*repeatable=*/true},
      {"no-udp", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_udp = parse_bool(e); }},
      {"no-stun", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_stun = parse_bool(e); }},
      {"stun-only", 'S', false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.stun_only = parse_bool(e); }},
      // Relay
      {"relay-ip", 'E', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.relay_ips.push_back(parse_ip(e)); },
       /*repeatable=*/true},
      {"external-ip", 'X', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.external_ips.push_back(parse_external_ip(e)); },
       /*repeatable=*/true},
      {"min-port", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.min_port = parse_port(e); }},
      {"max-port", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.max_port = parse_port(e); }},
      {"relay-threads", 'm', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.relay_threads = parse_uint(e, 0, 128); }},
      {"no-udp-relay", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_udp_relay = parse_bool(e); }},
      {"relay-coalesce-us", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.relay_coalesce_us = parse_uint(e, 0, 10000); }},
      {"udp-gso", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.udp_gso = parse_bool(e); }},
      // Authentication
      {"lt-cred-mech", 'a', false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.lt_cred_mech = parse_bool(e); }},
      {"no-auth", 'z', false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_auth = parse_bool(e); }},
      {"realm", 'r', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.realm = require_value(e); }},
      {"user", 'u', true, Pass::kUsers,
       [](Config& c, const ConfigEntry& e) { c.users.push_back(parse_user(e)); },
       /*repeatable=*/true},
      {"userdb", 'b', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.userdb = require_value(e); }},
      {"db", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.userdb = require_value(e); }},
      {"use-auth-secret", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.use_auth_secret = parse_bool(e); }},
      // coturn: a static-auth-secret also turns use-auth-secret on.
      {"static-auth-secret", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) {
         c.static_auth_secrets.push_back(require_value(e));
         c.use_auth_secret = true;
       },
       /*repeatable=*/true},
      {"rest-api-separator", 'C', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.rest_api_separator = require_value(e)[0]; }},
      {"redis-userdb", 'N', true, Pass::kMain, unsupported_userdb},
      {"psql-userdb", 'e', true, Pass::kMain, unsupported_userdb},
      {"sql-userdb", 0, true, Pass::kMain, unsupported_userdb},
      {"mysql-userdb", 'M', true, Pass::kMain, unsupported_userdb},
      {"mongo-userdb", 'J', true, Pass::kMain, unsupported_userdb},
      {"stale-nonce", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) {
         c.stale_nonce = e.has_value ? parse_uint(e, 1, 86400) : 600;
       }},
      // Lifetimes and quotas
      {"max-allocate-timeout", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.max_allocate_timeout = parse_uint(e, 1, 3600); }},
      {"max-allocate-lifetime", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.max_allocate_lifetime = parse_uint(e, 1, 86400); }},
      {"channel-lifetime", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.channel_lifetime = parse_uint(e, 1, 86400); }},
      {"permission-lifetime", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.permission_lifetime = parse_uint(e, 1, 86400); }},
      {"user-quota", 'q', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.user_quota = parse_uint(e, 0, 1u << 30); }},
      {"drain-min-allocations", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) {
         c.drain_min_allocations = parse_uint(e, 0, 1u << 30);
       }},
      {"bps-capacity", 'B', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.bps_capacity = parse_uint(e, 0, 4000000000u); }},
      {"max-bps", 's', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.max_bps = parse_uint(e, 0, 4000000000u); }},
      {"total-quota", 'Q', true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.total_quota = parse_uint(e, 0, 1u << 30); }},
      // Peer policy
      {"allowed-peer-ip", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.allowed_peer_ips.push_back(parse_range(e)); },
       /*repeatable=*/true},
      {"denied-peer-ip", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.denied_peer_ips.push_back(parse_range(e)); },
       /*repeatable=*/true},
      {"allow-loopback-peers", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.allow_loopback_peers = parse_bool(e); }},
      {"no-multicast-peers", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.no_multicast_peers = parse_bool(e); }},
      // STUN behaviour
      {"fingerprint", 'f', false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.fingerprint = parse_bool(e); }},
      {"rfc5766-channel-numbers", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.rfc5766_channel_numbers = parse_bool(e); }},
      {"software-attribute", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.software_attribute = parse_bool(e); }},
      {"no-software-attribute", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.software_attribute = !parse_bool(e); }},
      {"prod", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.software_attribute = !parse_bool(e); }},
      {"stun-backward-compatibility", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.stun_backward_compatibility = parse_bool(e); }},
      {"no-stun-backward-compatibility", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.stun_backward_compatibility = !parse_bool(e); }},
      {"secure-stun", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.secure_stun = parse_bool(e); }},
      {"log-binding", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.log_binding = parse_bool(e); }},
      // Logging and process
      {"verbose", 'v', false, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.verbose = parse_bool(e) ? 1 : 0; }},
      {"Verbose", 'V', false, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.verbose = parse_bool(e) ? 2 : 0; }},
      {"log-file", 'l', true, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.log_file = require_value(e); }},
      {"no-stdout-log", 0, false, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.no_stdout_log = parse_bool(e); }},
      {"syslog", 0, false, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.syslog = parse_bool(e); }},
      {"syslog-facility", 0, true, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.syslog_facility = parse_syslog_facility(e); }},
      {"simple-log", 0, false, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.simple_log = parse_bool(e); }},
      // turnd always writes full timestamps; the flag is accepted for coturn configs.
      {"new-log-timestamp", 0, false, Pass::kLogging,
       [](Config&, const ConfigEntry& e) { parse_bool(e); }},
      {"new-log-timestamp-format", 0, true, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.log_timestamp_format = require_value(e); }},
      {"log-min-level", 0, true, Pass::kLogging,
       [](Config& c, const ConfigEntry& e) { c.log_min_level = parse_log_level(e); }},
      {"pidfile", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.pidfile = require_value(e); }},
      {"daemon", 'o', false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.daemon = parse_bool(e); }},
      {"proc-user", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.proc_user = require_value(e); }},
      {"proc-group", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.proc_group = require_value(e); }},
  };
}

/// Bounds on what one allocation, one source and one user can hold, the answers unauthenticated
/// sources get, and the built-in brute-force ban (README: Security).
std::vector<OptionSpec> hardening_options() {
  auto count = [](unsigned Config::*field, unsigned min, unsigned max) {
    return
        [field, min, max](Config& c, const ConfigEntry& e) { c.*field = parse_uint(e, min, max); };
  };
  return {
      {"max-allocation-permissions", 0, true, Pass::kMain,
       count(&Config::max_allocation_permissions, 1, 65535)},
      {"max-allocation-channels", 0, true, Pass::kMain,
       count(&Config::max_allocation_channels, 1, 16384)},
      {"max-tcp-peer-connections", 0, true, Pass::kMain,
       count(&Config::max_tcp_peer_connections, 1, 65535)},
      {"max-connections-per-source", 0, true, Pass::kMain,
       count(&Config::max_connections_per_source, 1, 1u << 24)},
      {"max-connections", 0, true, Pass::kMain, count(&Config::max_connections, 0, 1u << 24)},
      {"unauthorized-ratelimit", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.unauthorized_ratelimit = parse_bool(e); }},
      {"unauthorized-ratelimit-rps", 0, true, Pass::kMain,
       count(&Config::unauthorized_ratelimit_rps, 1, 1000000)},
      {"request-ratelimit-rps", 0, true, Pass::kMain,
       count(&Config::request_ratelimit_rps, 0, 1000000)},
      {"auth-ban", 0, false, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.auth_ban = parse_bool(e); }},
      {"auth-ban-maxretry", 0, true, Pass::kMain, count(&Config::auth_ban_maxretry, 1, 100000)},
      {"auth-ban-findtime", 0, true, Pass::kMain, count(&Config::auth_ban_findtime, 1, 86400)},
      {"auth-ban-bantime", 0, true, Pass::kMain, count(&Config::auth_ban_bantime, 1, 7 * 86400)},
      {"auth-ban-ignoreip", 0, true, Pass::kMain,
       [](Config& c, const ConfigEntry& e) { c.auth_ban_ignoreip.push_back(parse_range(e)); },
       /*repeatable=*/true},
  };
}

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = [] {
    std::vector<OptionSpec> all = general_options();
    for (auto group : {stream_listener_options(), tls_options(), relay_family_options(),
                       metrics_options(), hardening_options()}) {
      all.insert(all.end(), group.begin(), group.end());
    }
    return all;
  }();
  return table;
}

const OptionSpec* find_option(std::string_view name) {
  for (const auto& o : option_table()) {
    if (o.name == name)
      return &o;
  }
  return nullptr;
}

bool is_repeatable(std::string_view name) {
  const OptionSpec* spec = find_option(name);
  return spec != nullptr && spec->repeatable;
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
        const OptionSpec* spec = find_option(e.name);
        if (spec == nullptr) {
          if (pass != Pass::kMain)
            continue;
          if (from_cli)
            throw ConfigError(e.origin + ": unknown option '" + e.name + "'");
          if (auto note = legacy_option_note(e.name)) {
            warnings.push_back(e.origin + ": option '" + e.name + "' " + *note);
          } else {
            warnings.push_back(e.origin + ": unknown option '" + e.name + "' ignored");
          }
          continue;
        }
        if (spec->pass != pass)
          continue;
        if (!from_cli && cli_repeatable.count(e.name))
          continue;
        spec->apply(config, e);
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
  for (const auto& name : legacy_option_names())
    out.push_back({name, 0, true});
  return out;
}

}  // namespace turn
