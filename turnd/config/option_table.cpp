#include "config/option_table.hpp"

#include <unordered_map>

#include "config/option_codecs.hpp"
#include "config/option_values.hpp"

namespace turn {
namespace {

const Config& defaults() {
  static const Config d;
  return d;
}

/// One entry under construction: the kind helpers below bind a field and a codec, the
/// modifiers add what the table says about it.
class Opt {
 public:
  explicit Opt(std::string_view name, Role role = Role::kSetting) {
    def_.name = name;
    def_.role = role;
  }
  // Implicit, so the table is a plain list of entries.
  operator OptionDef() && { return std::move(def_); }

  Opt&& dash(char c) && {
    def_.short_name = c;
    return std::move(*this);
  }
  Opt&& restart() && {
    def_.reload = Reload::kRestart;
    return std::move(*this);
  }
  Opt&& logging() && {
    def_.pass = Pass::kLogging;
    return std::move(*this);
  }
  Opt&& users() && {
    def_.pass = Pass::kUsers;
    return std::move(*this);
  }
  Opt&& secret() && {
    def_.secret = true;
    return std::move(*this);
  }
  Opt&& eg(std::string_view value) && {
    def_.example = value;
    return std::move(*this);
  }
  /// A comment line printed before the option's own lines while it has its default.
  template <typename T>
  Opt&& comment_if_default(T Config::*field, std::string_view comment) && {
    auto print = std::move(def_.print);
    def_.print = [field, comment, print](std::ostream& o, const Config& c, bool secret) {
      if (c.*field == defaults().*field)
        o << comment << '\n';
      print(o, c, secret);
    };
    return std::move(*this);
  }
  /// A second effect after the value is applied.
  Opt&& then(void (*effect)(Config&)) && {
    auto apply = std::move(def_.apply);
    def_.apply = [apply, effect](Config& c, const ConfigEntry& e) {
      apply(c, e);
      effect(c);
    };
    return std::move(*this);
  }
  Opt&& print_as(void (*print)(std::ostream&, const Config&, bool)) && {
    def_.print = print;
    return std::move(*this);
  }
  Opt&& note(std::string_view text) && {
    def_.note = text;
    return std::move(*this);
  }

  OptionDef& def() { return def_; }

 private:
  OptionDef def_;
};

template <typename T>
std::string shown(const Codec<T>& codec, const T& v, bool secret) {
  if (!secret)
    return codec.text(v);
  return codec.masked ? codec.masked(v) : std::string("***");
}

template <typename F>
void bind_field(OptionDef& d, F Config::*field) {
  d.same = [field](const Config& a, const Config& b) { return a.*field == b.*field; };
  d.copy = [field](const Config& from, Config& to) { to.*field = from.*field; };
}

/// `name=value`, always printed.
template <typename T>
Opt value(std::string_view name, T Config::*field, Codec<T> codec) {
  Opt o(name);
  OptionDef& d = o.def();
  d.takes_value = codec.takes_value;
  d.apply = [field, parse = codec.parse](Config& c, const ConfigEntry& e) { c.*field = parse(e); };
  d.print = [name, field, codec](std::ostream& out, const Config& c, bool secret) {
    out << name << '=' << shown(codec, c.*field, secret) << '\n';
  };
  bind_field(d, field);
  return o;
}

Opt flag(std::string_view name, bool Config::*field) {
  return value(name, field, on_off());
}

/// Printed only when set: the empty default has no spelling in the file's grammar.
template <typename T>
Opt optional(std::string_view name, T Config::*field, Codec<T> codec) {
  Opt o = value(name, field, codec);
  auto print = std::move(o.def().print);
  o.def().print = [field, print](std::ostream& out, const Config& c, bool secret) {
    if (!(c.*field == defaults().*field))
      print(out, c, secret);
  };
  return o;
}

/// One line per element; repeated entries append.
template <typename T>
Opt list(std::string_view name, std::vector<T> Config::*field, Codec<T> codec) {
  Opt o(name);
  OptionDef& d = o.def();
  d.repeatable = true;
  d.apply = [field, parse = codec.parse](Config& c, const ConfigEntry& e) {
    (c.*field).push_back(parse(e));
  };
  d.print = [name, field, codec](std::ostream& out, const Config& c, bool secret) {
    for (const T& v : c.*field)
      out << name << '=' << shown(codec, v, secret) << '\n';
  };
  bind_field(d, field);
  return o;
}

/// Another spelling of `setting`, which prints and reloads the field for both.
template <typename T>
Opt alias(std::string_view name, std::string_view setting, T Config::*field, Codec<T> codec) {
  Opt o(name, Role::kAlias);
  o.def().alias_of = setting;
  o.def().takes_value = codec.takes_value;
  o.def().apply = [field, parse = codec.parse](Config& c, const ConfigEntry& e) {
    c.*field = parse(e);
  };
  return o;
}

/// An alias flag whose effect is more than setting one value.
Opt flag_alias(std::string_view name, std::string_view setting,
               void (*apply)(Config&, const ConfigEntry&)) {
  Opt o(name, Role::kAlias);
  o.def().alias_of = setting;
  o.def().takes_value = false;
  o.def().apply = apply;
  return o;
}

/// A flag whose value is checked and then has no effect.
Opt accepted_flag(std::string_view name) {
  Opt o(name, Role::kAccepted);
  o.def().takes_value = false;
  o.def().apply = [](Config&, const ConfigEntry& e) { parse_bool(e); };
  return o;
}

Opt legacy(std::string_view name) {
  return Opt(name, Role::kLegacy)
      .note("is accepted but not acted on by this turnd version")
      .eg("1");
}

Opt refused_userdb(std::string_view name) {
  Opt o(name, Role::kRefused);
  o.def().apply = [](Config&, const ConfigEntry& e) {
    throw ConfigError(e.origin + ": option '" + e.name +
                      "' is not supported by turnd: use redis-userdb, psql-userdb, "
                      "mysql-userdb or userdb=FILE (a coturn SQLite database or a flat user "
                      "file)");
  };
  return std::move(o).secret().eg("host=db.example.org user=turn password=s3cret");
}

// Printers that need more than one field.

/// no-auth wins over lt-cred-mech, whose default is on; writing that default back next to
/// no-auth would read as both given, which the loader refuses.
void print_lt_cred_mech(std::ostream& o, const Config& c, bool) {
  if (c.lt_cred_mech && c.no_auth) {
    o << "# lt-cred-mech: on by default; no-auth turns authentication off\n";
  } else {
    o << "lt-cred-mech=" << (c.lt_cred_mech ? "on" : "off") << '\n';
  }
}

/// verbose=1 reads back; level 2 is only spelled Verbose.
void print_verbose(std::ostream& o, const Config& c, bool) {
  if (c.verbose >= 2) {
    o << "Verbose=on\n";
  } else {
    o << "verbose=" << c.verbose << '\n';
  }
}

void keep_address_family(Config& c, const ConfigEntry& e) {
  using Family = Config::AddressFamilyDefault;
  if (parse_bool(e)) {
    c.allocation_default_address_family = Family::kKeep;
  } else if (c.allocation_default_address_family == Family::kKeep) {
    c.allocation_default_address_family = Family::kIpv4;  // off undoes an earlier "on"
  }
}

std::vector<OptionDef> build_table() {
  using C = Config;
  constexpr unsigned kMany = 1u << 30;
  constexpr unsigned kBps = 4000000000u;
  constexpr unsigned kDay = 86400;
  std::vector<OptionDef> t = {
      // Listeners. The sockets are bound once, before the workers start (SO_REUSEPORT groups
      // never change), so every listener option needs a restart.
      value("listening-port", &C::listening_port, port()).dash('p').restart().eg("3479"),
      list("listening-ip", &C::listening_ips, ip())
          .dash('L')
          .restart()
          .eg("127.0.0.1")
          .comment_if_default(&C::listening_ips, "# listening-ip: every local address"),
      flag("no-udp", &C::no_udp).restart(),
      flag("no-stun", &C::no_stun),
      flag("stun-only", &C::stun_only).dash('S'),
      // 0 turns a port off: TLS and DTLS are also detected on listening-port by their first
      // byte, as coturn does.
      value("tls-listening-port", &C::tls_listening_port, port_or_zero()).restart().eg("5350"),
      value("alt-listening-port", &C::alt_listening_port, port_or_zero()).restart().eg("3480"),
      value("alt-tls-listening-port", &C::alt_tls_listening_port, port_or_zero())
          .restart()
          .eg("5351"),
      flag("no-tcp", &C::no_tcp).restart(),
      flag("no-tls", &C::no_tls).restart(),
      // coturn 4.17 made DTLS opt-in (`dtls`); its `no-dtls` is deprecated but still honoured.
      flag("dtls", &C::dtls).restart(),
      alias("no-dtls", "dtls", &C::dtls, negated()).eg("off"),

      // TLS: the loader records names; net/tls_context.cpp reads and checks the files, and
      // SIGHUP loads them again, so all of these are live.
      optional("cert", &C::cert, text())
          .eg("/etc/turnd/turn.pem")
          .comment_if_default(&C::cert, "# cert: none (no TLS or DTLS)"),
      optional("pkey", &C::pkey, text()).eg("/etc/turnd/key.pem"),
      optional("pkey-pwd", &C::pkey_pwd, text()).secret().eg("pkey-s3cret"),
      optional("cipher-list", &C::cipher_list, text()).eg("ECDHE+AESGCM"),
      optional("ec-curve-name", &C::ec_curve_name, text()).eg("prime256v1"),
      optional("dh-file", &C::dh_file, text()).eg("/etc/turnd/dh2048.pem"),
      optional("CA-file", &C::ca_file, text()).eg("/etc/turnd/clients-ca.pem"),
      // coturn 4.7 turned TLS 1.0 and 1.1 off and added these opt-ins. 4.6's no-tlsv1 and
      // no-tlsv1_1 ask for what is now the default, so they only clear the opt-ins.
      flag("tlsv1", &C::tlsv1),
      alias("no-tlsv1", "tlsv1", &C::tlsv1, negated()).eg("off"),
      flag("tlsv1_1", &C::tlsv1_1),
      alias("no-tlsv1_1", "tlsv1_1", &C::tlsv1_1, negated()).eg("off"),
      flag("no-tlsv1_2", &C::no_tlsv1_2),

      // Relay
      list("relay-ip", &C::relay_ips, ip()).dash('E').eg("127.0.0.1"),
      list("external-ip", &C::external_ips, external_ip()).dash('X').eg("203.0.113.7/10.0.0.7"),
      // The port pool is sized at start; relay addresses of running allocations stay valid.
      value("min-port", &C::min_port, port()).restart().eg("50000"),
      value("max-port", &C::max_port, port()).restart().eg("60000"),
      value("relay-threads", &C::relay_threads, count(0, 128))
          .dash('m')
          .restart()
          .eg("3")
          .comment_if_default(&C::relay_threads, "# relay-threads=0: one per CPU"),
      flag("no-udp-relay", &C::no_udp_relay),
      flag("no-tcp-relay", &C::no_tcp_relay),
      value("allocation-default-address-family", &C::allocation_default_address_family,
            address_family())
          .dash('A')
          .eg("ipv6"),
      // coturn's deprecated -K: the same as allocation-default-address-family=keep.
      flag_alias("keep-address-family", "allocation-default-address-family", keep_address_family)
          .dash('K'),
      value("relay-coalesce-us", &C::relay_coalesce_us, count(0, 10000)).eg("50"),
      flag("udp-gso", &C::udp_gso),
      value("kernel-offload", &C::kernel_offload, kernel_offload()).restart().eg("off"),

      // Authentication
      flag("lt-cred-mech", &C::lt_cred_mech).dash('a').eg("off").print_as(print_lt_cred_mech),
      flag("no-auth", &C::no_auth).dash('z'),
      // Nonces already issued are bound to the realm and lifetime they were issued under.
      value("realm", &C::realm, text()).dash('r').restart().eg("example.org"),
      list("user", &C::users, user()).dash('u').users().secret().eg("alice:alice-s3cret"),
      optional("userdb", &C::userdb, text()).dash('b').eg("/etc/turnd/turnuserdb.conf"),
      alias("db", "userdb", &C::userdb, text()).eg("/etc/turnd/turndb"),
      flag("use-auth-secret", &C::use_auth_secret),
      // coturn: a static-auth-secret also turns use-auth-secret on.
      list("static-auth-secret", &C::static_auth_secrets, text())
          .secret()
          .eg("rest-s3cret")
          .then([](Config& c) { c.use_auth_secret = true; }),
      value("rest-api-separator", &C::rest_api_separator, character()).dash('C').eg("-"),
      // Database servers with coturn's schemas; read off the workers, the last good users kept
      // while one is unreachable (README: User database servers).
      optional("redis-userdb", &C::redis_userdb, connection_string())
          .dash('N')
          .users()
          .secret()
          .eg("ip=127.0.0.1 dbname=0 password=s3cret port=6379 connect_timeout=5"),
      optional("psql-userdb", &C::psql_userdb, connection_string())
          .dash('e')
          .users()
          .secret()
          .eg("host=127.0.0.1 dbname=coturn user=turn password=s3cret connect_timeout=5"),
      alias("sql-userdb", "psql-userdb", &C::psql_userdb, connection_string())
          .secret()
          .eg("host=127.0.0.1 dbname=coturn user=turn password=s3cret"),
      optional("mysql-userdb", &C::mysql_userdb, connection_string())
          .dash('M')
          .users()
          .secret()
          .eg("host=127.0.0.1 dbname=coturn user=turn password=s3cret port=3306"),
      value("userdb-refresh", &C::userdb_refresh, count(1, 3600)).eg("10"),
      refused_userdb("mongo-userdb").dash('J'),
      // Like the realm: nonces already issued keep the lifetime they were issued under.
      value("stale-nonce", &C::stale_nonce, count_or(600, 1, kDay)).restart().eg("300"),

      // Lifetimes (seconds) and quotas
      value("max-allocate-timeout", &C::max_allocate_timeout, count(1, 3600)).eg("30"),
      value("max-allocate-lifetime", &C::max_allocate_lifetime, count(1, kDay)).eg("1200"),
      value("channel-lifetime", &C::channel_lifetime, count(1, kDay)).eg("500"),
      value("permission-lifetime", &C::permission_lifetime, count(1, kDay)).eg("200"),
      value("user-quota", &C::user_quota, count(0, kMany)).dash('q').eg("4"),
      value("total-quota", &C::total_quota, count(0, kMany)).dash('Q').eg("90"),
      value("max-bps", &C::max_bps, rate(0, kBps)).dash('s').eg("64000"),
      value("bps-capacity", &C::bps_capacity, rate(0, kBps)).dash('B').eg("1000000"),
      value("drain-min-allocations", &C::drain_min_allocations, count(0, kMany)).eg("2"),

      // ALTERNATE-SERVER (RFC 8489 §10): 300 Try Alternate to Allocate requests. Live: each
      // Allocate reads the lists of the worker's current settings (autoscaling, coturn#878).
      list("alternate-server", &C::alternate_servers, alternate(3478)).eg("192.0.2.10:3478"),
      list("tls-alternate-server", &C::tls_alternate_servers, alternate(5349))
          .eg("192.0.2.10:5349"),
      list("udp-alternate-server", &C::udp_alternate_servers, alternate(3478))
          .eg("192.0.2.11:3478"),
      list("tcp-alternate-server", &C::tcp_alternate_servers, alternate(3478))
          .eg("192.0.2.12:3478"),
      optional("alternate-domain", &C::alternate_domain, domain()).eg("turn.example.org"),
      value("alternate-server-mode", &C::alternate_server_mode, alternate_mode()).eg("overflow"),

      // Bounds on what one allocation, one source and one user can hold, the answers
      // unauthenticated sources get, and the built-in brute-force ban (README: Security).
      value("max-allocation-permissions", &C::max_allocation_permissions, count(1, 65535)).eg("7"),
      value("max-allocation-channels", &C::max_allocation_channels, count(1, 16384)).eg("6"),
      value("max-tcp-peer-connections", &C::max_tcp_peer_connections, count(1, 65535)).eg("5"),
      value("max-connections-per-source", &C::max_connections_per_source, count(1, 1u << 24))
          .eg("44"),
      value("max-connections", &C::max_connections, count(0, 1u << 24))
          .eg("4000")
          .comment_if_default(&C::max_connections, "# max-connections=0: half the open-file limit"),
      flag("unauthorized-ratelimit", &C::unauthorized_ratelimit).eg("off"),
      value("unauthorized-ratelimit-rps", &C::unauthorized_ratelimit_rps, count(1, 1000000))
          .eg("3"),
      value("request-ratelimit-rps", &C::request_ratelimit_rps, count(0, 1000000)).eg("0"),
      flag("auth-ban", &C::auth_ban).eg("off"),
      value("auth-ban-maxretry", &C::auth_ban_maxretry, count(1, 100000)).eg("4"),
      value("auth-ban-findtime", &C::auth_ban_findtime, count(1, kDay)).eg("120"),
      value("auth-ban-bantime", &C::auth_ban_bantime, count(1, 7 * kDay)).eg("900"),
      list("auth-ban-ignoreip", &C::auth_ban_ignoreip, range()).eg("192.0.2.0/24"),

      // Peer policy
      list("allowed-peer-ip", &C::allowed_peer_ips, range()).eg("10.0.0.0/8"),
      list("denied-peer-ip", &C::denied_peer_ips, range()).eg("198.51.100.1-198.51.100.9"),
      flag("allow-loopback-peers", &C::allow_loopback_peers),
      flag("no-multicast-peers", &C::no_multicast_peers).eg("off"),

      // STUN behaviour
      flag("fingerprint", &C::fingerprint).dash('f'),
      flag("software-attribute", &C::software_attribute),
      alias("no-software-attribute", "software-attribute", &C::software_attribute, negated())
          .eg("off"),
      alias("prod", "software-attribute", &C::software_attribute, negated()).eg("off"),
      flag("stun-backward-compatibility", &C::stun_backward_compatibility),
      alias("no-stun-backward-compatibility", "stun-backward-compatibility",
            &C::stun_backward_compatibility, negated())
          .eg("off"),
      flag("secure-stun", &C::secure_stun),
      flag("log-binding", &C::log_binding),
      flag("rfc5766-channel-numbers", &C::rfc5766_channel_numbers).eg("off"),

      // coturn's Prometheus exporter. The listener is bound once; its realm and user labels
      // are fixed with it.
      flag("prometheus", &C::prometheus).restart(),
      value("prometheus-port", &C::prometheus_port, port()).restart().eg("9100"),
      value("prometheus-address", &C::prometheus_address, ip()).restart().eg("127.0.0.1"),
      value("prometheus-path", &C::prometheus_path, http_path()).restart().eg("/stats"),
      flag("prometheus-username-labels", &C::prometheus_username_labels).restart(),

      // The admin API (turnctl's endpoint) under coturn's CLI names; bound once at start.
      flag("no-cli", &C::no_cli).restart(),
      value("cli-ip", &C::cli_ip, ip()).restart().eg("127.0.0.2"),
      value("cli-port", &C::cli_port, port()).restart().eg("5767"),
      optional("cli-password", &C::cli_password, text()).restart().secret().eg("s3cret"),

      // Logging, read in the first pass so everything after it is logged as configured.
      value("log-file", &C::log_file, log_file()).dash('l').logging().eg("/var/log/turnd.log"),
      flag("no-stdout-log", &C::no_stdout_log).logging(),
      flag("syslog", &C::syslog).logging(),
      flag("simple-log", &C::simple_log).logging(),
      value("verbose", &C::verbose, verbosity(1)).dash('v').logging().print_as(print_verbose),
      alias("Verbose", "verbose", &C::verbose, verbosity(2)).dash('V').logging(),
      optional("syslog-facility", &C::syslog_facility, syslog_facility()).logging().eg("local3"),
      optional("log-min-level", &C::log_min_level, log_level()).logging().eg("warning"),
      value("log-format", &C::log_format, log_format()).logging().eg("json"),
      optional("new-log-timestamp-format", &C::log_timestamp_format, text())
          .logging()
          .eg("%H:%M:%S"),
      // turnd always writes full timestamps; the flag is accepted for coturn configs.
      accepted_flag("new-log-timestamp").logging(),

      // Process identity: fixed once the process has forked and dropped root.
      flag("daemon", &C::daemon).dash('o').restart(),
      optional("pidfile", &C::pidfile, text()).restart().eg("/run/turnd.pid"),
      optional("proc-user", &C::proc_user, text()).restart().eg("nobody"),
      optional("proc-group", &C::proc_group, text()).restart().eg("nogroup"),
  };

  // coturn 4.6-4.17 names turnd accepts without acting on them (yet), so a coturn file still
  // loads, each with a warning saying what turnd does instead.
  constexpr std::string_view kNoRfc5780 =
      "is accepted: turnd does not do RFC 5780 NAT behaviour discovery";
  constexpr std::string_view kOauth =
      "is accepted but ignored: it serves coturn's oAuth, which turnd lacks";
  constexpr std::string_view kSsl = "is accepted: turnd never offers SSLv2 or SSLv3";
  constexpr std::string_view kDh =
      "is accepted but ignored: DHE uses dh-file, or OpenSSL's built-in parameters sized to the "
      "certificate key";
  constexpr std::string_view kMetricsTls =
      "is accepted but not acted on: metrics are served over plain HTTP; put a TLS proxy in "
      "front";
  const std::vector<OptionDef> legacy_names = {
      legacy("aux-server"),
      legacy("udp-self-balance"),
      legacy("listening-device"),
      legacy("relay-device"),
      legacy("server-relay"),
      legacy("mobility"),
      legacy("ne"),
      legacy("server-name").note(kOauth),
      legacy("check-origin-consistency"),
      legacy("no-auth-pings"),
      legacy("no-dynamic-ip-list"),
      legacy("no-dynamic-realms"),
      legacy("oauth").note(kOauth),
      legacy("secret-ts-exp-time"),
      legacy("redis-statsdb").secret().eg("s3cret"),  // a connection string, with its password
      legacy("secret-key-file"),
      legacy("no-loopback-peers"),
      legacy("dh566").note(kDh),
      legacy("dh1066").note(kDh),
      legacy("no-sslv2").note(kSsl),
      legacy("no-sslv3").note(kSsl),
      legacy("no-rfc5780").note(kNoRfc5780),
      legacy("rfc5780").note(
          "is not supported: turnd does not do RFC 5780 NAT behaviour discovery"),
      legacy("rfc3489-compatibility"),
      legacy("response-origin-only-with-rfc5780").note(kNoRfc5780),
      legacy("cli-max-output-sessions"),
      legacy("cli"),
      legacy("web-admin"),
      legacy("web-admin-ip"),
      legacy("web-admin-port"),
      legacy("web-admin-listen-on-workers"),
      legacy("acme-redirect"),
      legacy("prometheus-tls").note(kMetricsTls),
      legacy("prometheus-cert").note(kMetricsTls),
      legacy("prometheus-key").note(kMetricsTls),
      legacy("respond-http-unsupported"),
      legacy("raw-public-keys"),
      legacy("cpus"),
      legacy("sock-buf-size"),
      legacy("drop-invalid-packets"),
      legacy("drop-invalid-packets-log"),
      legacy("include-reason-string"),
      legacy("udp-recvmmsg"),
      legacy("udp-recvmmsg-log"),
      legacy("udp-sendmmsg-log"),
      legacy("multiplex-peer"),
      legacy("multiplex-peer-port"),
      legacy("multiplex-peer-max-peers"),
      legacy("stateless-nonce"),
      legacy("stateless-nonce-secret").secret().eg("s3cret"),
      legacy("tcp-proxy-port"),
  };
  t.insert(t.end(), legacy_names.begin(), legacy_names.end());
  return t;
}

}  // namespace

const std::vector<OptionDef>& option_table() {
  static const std::vector<OptionDef> table = build_table();
  return table;
}

const OptionDef* find_option(std::string_view name) {
  static const std::unordered_map<std::string_view, const OptionDef*> by_name = [] {
    std::unordered_map<std::string_view, const OptionDef*> m;
    for (const auto& o : option_table())
      m.emplace(o.name, &o);
    return m;
  }();
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

}  // namespace turn
