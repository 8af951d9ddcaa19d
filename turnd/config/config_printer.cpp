#include "config/config_printer.hpp"

#include <sstream>

namespace turn {
namespace {

const char* on_off(bool v) {
  return v ? "on" : "off";
}

std::string range_text(const AddressRange& r) {
  return r.first == r.last ? r.first.ip_string() : r.first.ip_string() + "-" + r.last.ip_string();
}

const char* family_text(Config::AddressFamilyDefault f) {
  switch (f) {
    case Config::AddressFamilyDefault::kIpv6:
      return "ipv6";
    case Config::AddressFamilyDefault::kKeep:
      return "keep";
    case Config::AddressFamilyDefault::kIpv4:
      break;
  }
  return "ipv4";
}

/// A `name=value` line, only for options that are set (the empty default has no spelling).
void optional_line(std::ostringstream& o, const char* name, const std::string& value) {
  if (!value.empty())
    o << name << '=' << value << '\n';
}

void describe_listeners(std::ostringstream& o, const Config& c) {
  o << "tls-listening-port=" << c.tls_listening_port
    << "\nalt-listening-port=" << c.alt_listening_port
    << "\nalt-tls-listening-port=" << c.alt_tls_listening_port << "\nno-tcp=" << on_off(c.no_tcp)
    << "\nno-tls=" << on_off(c.no_tls) << "\ndtls=" << on_off(c.dtls) << '\n';
}

void describe_tls(std::ostringstream& o, const Config& c) {
  if (c.cert.empty())
    o << "# cert: none (no TLS or DTLS)\n";
  optional_line(o, "cert", c.cert);
  optional_line(o, "pkey", c.pkey);
  if (!c.pkey_pwd.empty())
    o << "pkey-pwd=***\n";
  optional_line(o, "cipher-list", c.cipher_list);
  optional_line(o, "ec-curve-name", c.ec_curve_name);
  optional_line(o, "dh-file", c.dh_file);
  optional_line(o, "CA-file", c.ca_file);
  o << "tlsv1=" << on_off(c.tlsv1) << "\ntlsv1_1=" << on_off(c.tlsv1_1)
    << "\nno-tlsv1_2=" << on_off(c.no_tlsv1_2) << '\n';
}

void describe_metrics(std::ostringstream& o, const Config& c) {
  o << "prometheus=" << on_off(c.prometheus) << "\nprometheus-port=" << c.prometheus_port
    << "\nprometheus-address=" << c.prometheus_address.ip_string()
    << "\nprometheus-path=" << c.prometheus_path
    << "\nprometheus-username-labels=" << on_off(c.prometheus_username_labels) << '\n';
}

}  // namespace

std::string describe_config(const Config& c) {
  std::ostringstream o;
  o << "listening-port=" << c.listening_port << '\n';
  if (c.listening_ips.empty())
    o << "# listening-ip: every local address\n";
  for (const auto& ip : c.listening_ips)
    o << "listening-ip=" << ip.ip_string() << '\n';
  o << "no-udp=" << on_off(c.no_udp) << "\nno-stun=" << on_off(c.no_stun)
    << "\nstun-only=" << on_off(c.stun_only) << '\n';
  describe_listeners(o, c);
  describe_tls(o, c);
  for (const auto& ip : c.relay_ips)
    o << "relay-ip=" << ip.ip_string() << '\n';
  for (const auto& e : c.external_ips) {
    o << "external-ip=" << e.public_ip.ip_string()
      << (e.private_ip ? "/" + e.private_ip->ip_string() : std::string()) << '\n';
  }
  // coturn's grammar has no trailing comments, so a note goes on its own line to read back.
  o << "min-port=" << c.min_port << "\nmax-port=" << c.max_port << '\n'
    << (c.relay_threads == 0 ? "# relay-threads=0: one per CPU\n" : "")
    << "relay-threads=" << c.relay_threads << "\nno-udp-relay=" << on_off(c.no_udp_relay)
    << "\nno-tcp-relay=" << on_off(c.no_tcp_relay)
    << "\nallocation-default-address-family=" << family_text(c.allocation_default_address_family)
    << "\nrelay-coalesce-us=" << c.relay_coalesce_us << "\nudp-gso=" << on_off(c.udp_gso) << '\n';
  o << "lt-cred-mech=" << on_off(c.lt_cred_mech) << "\nno-auth=" << on_off(c.no_auth)
    << "\nrealm=" << c.realm << '\n';
  for (const auto& u : c.users)
    o << "user=" << u.name << ":***\n";
  if (!c.userdb.empty())
    o << "userdb=" << c.userdb << '\n';
  o << "use-auth-secret=" << on_off(c.use_auth_secret) << '\n';
  for (std::size_t i = 0; i < c.static_auth_secrets.size(); ++i)
    o << "static-auth-secret=***\n";
  o << "rest-api-separator=" << c.rest_api_separator << "\nstale-nonce=" << c.stale_nonce << '\n';
  o << "max-allocate-timeout=" << c.max_allocate_timeout
    << "\nmax-allocate-lifetime=" << c.max_allocate_lifetime
    << "\nchannel-lifetime=" << c.channel_lifetime
    << "\npermission-lifetime=" << c.permission_lifetime << "\nuser-quota=" << c.user_quota
    << "\ntotal-quota=" << c.total_quota << "\nmax-bps=" << c.max_bps
    << "\nbps-capacity=" << c.bps_capacity << "\ndrain-min-allocations=" << c.drain_min_allocations
    << '\n';
  o << "max-allocation-permissions=" << c.max_allocation_permissions
    << "\nmax-allocation-channels=" << c.max_allocation_channels
    << "\nmax-tcp-peer-connections=" << c.max_tcp_peer_connections
    << "\nmax-connections-per-source=" << c.max_connections_per_source
    << (c.max_connections == 0 ? "\n# max-connections=0: half the open-file limit" : "")
    << "\nmax-connections=" << c.max_connections
    << "\nunauthorized-ratelimit=" << on_off(c.unauthorized_ratelimit)
    << "\nunauthorized-ratelimit-rps=" << c.unauthorized_ratelimit_rps
    << "\nrequest-ratelimit-rps=" << c.request_ratelimit_rps << "\nauth-ban=" << on_off(c.auth_ban)
    << "\nauth-ban-maxretry=" << c.auth_ban_maxretry
    << "\nauth-ban-findtime=" << c.auth_ban_findtime << "\nauth-ban-bantime=" << c.auth_ban_bantime
    << '\n';
  for (const auto& r : c.auth_ban_ignoreip)
    o << "auth-ban-ignoreip=" << range_text(r) << '\n';
  for (const auto& r : c.allowed_peer_ips)
    o << "allowed-peer-ip=" << range_text(r) << '\n';
  for (const auto& r : c.denied_peer_ips)
    o << "denied-peer-ip=" << range_text(r) << '\n';
  o << "allow-loopback-peers=" << on_off(c.allow_loopback_peers)
    << "\nfingerprint=" << on_off(c.fingerprint)
    << "\nsoftware-attribute=" << on_off(c.software_attribute)
    << "\nstun-backward-compatibility=" << on_off(c.stun_backward_compatibility)
    << "\nsecure-stun=" << on_off(c.secure_stun) << "\nlog-binding=" << on_off(c.log_binding)
    << "\nrfc5766-channel-numbers=" << on_off(c.rfc5766_channel_numbers) << '\n';
  describe_metrics(o, c);
  o << "log-file=" << (c.log_file.empty() ? "stdout" : c.log_file)
    << "\nno-stdout-log=" << on_off(c.no_stdout_log) << "\nsyslog=" << on_off(c.syslog)
    << "\nsimple-log=" << on_off(c.simple_log) << "\nverbose=" << c.verbose << '\n';
  if (!c.syslog_facility.empty())
    o << "syslog-facility=" << c.syslog_facility << '\n';
  if (!c.log_min_level.empty())
    o << "log-min-level=" << c.log_min_level << '\n';
  if (!c.log_timestamp_format.empty()) {
    o << "new-log-timestamp-format=" << c.log_timestamp_format << '\n';
  }
  o << "daemon=" << on_off(c.daemon) << '\n';
  if (!c.pidfile.empty())
    o << "pidfile=" << c.pidfile << '\n';
  if (!c.proc_user.empty())
    o << "proc-user=" << c.proc_user << '\n';
  if (!c.proc_group.empty())
    o << "proc-group=" << c.proc_group << '\n';
  return o.str();
}

}  // namespace turn
