// The immutable server configuration, with coturn's option names and defaults. Built once by
// config_loader, then shared read-only; config/option_table.cpp says which option sets which
// field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stun/address.hpp"

namespace turn {

/// An inclusive address range from allowed-peer-ip / denied-peer-ip ("ip", "ip-ip" or "ip/len").
struct AddressRange {
  stun::SocketAddress first;
  stun::SocketAddress last;
  bool contains(const stun::SocketAddress& ip) const;
  static std::optional<AddressRange> parse(const std::string& text);
  bool operator==(const AddressRange&) const = default;
};

/// external-ip: PUBLIC, or PUBLIC/PRIVATE mapping one relay address (RFC 8656 §3.8 NAT case).
struct ExternalMapping {
  stun::SocketAddress public_ip;
  std::optional<stun::SocketAddress> private_ip;
  bool operator==(const ExternalMapping&) const = default;
};

/// A static user from `user=name:password` or `user=name:0x<md5 key hex>`.
struct StaticUser {
  std::string name;
  std::string secret;  ///< password, or "0x" + 32 hex digits
  bool operator==(const StaticUser&) const = default;
};

struct Config {
  // Listeners
  std::uint16_t listening_port = 3478;
  std::vector<stun::SocketAddress> listening_ips;  ///< empty: every local address
  bool no_udp = false;
  bool no_stun = false;
  bool stun_only = false;
  /// TCP and TLS share the stream listeners: listening-port carries UDP and TCP (and TLS/DTLS,
  /// detected by the first byte, as coturn does), tls-listening-port TLS and DTLS (and plain
  /// TCP/UDP). alt-* ports listen only when set (turnd has no RFC 5780 second address).
  std::uint16_t tls_listening_port = 5349;
  std::uint16_t alt_listening_port = 0;
  std::uint16_t alt_tls_listening_port = 0;
  bool no_tcp = false;
  bool no_tls = false;
  /// DTLS is opt-in (coturn 4.17 `dtls`; `no-dtls` still turns it off).
  bool dtls = false;

  // TLS (RFC 8656 §3.1 TURN over TLS; DTLS 1.2 over UDP)
  /// PEM: the server certificate, then (optionally) the unencrypted key, then intermediates;
  /// or the certificate chain alone with `pkey` naming the key file. Empty: no TLS listeners.
  std::string cert;
  std::string pkey;
  std::string pkey_pwd;
  std::string cipher_list;    ///< TLS 1.2 cipher list (OpenSSL syntax); empty: OpenSSL's default
  std::string ec_curve_name;  ///< ECDHE group; empty: OpenSSL's default list
  std::string dh_file;        ///< DH parameters for DHE ciphers; empty: OpenSSL's built-in
  std::string ca_file;        ///< CA-file: when set, clients must present a certificate it signs
  bool tlsv1 = false;         ///< allow TLS 1.0 (coturn 4.7+: off unless asked)
  bool tlsv1_1 = false;       ///< allow TLS 1.1
  bool no_tlsv1_2 = false;    ///< coturn no-tlsv1_2: TLS 1.3 only

  // Relay
  std::vector<stun::SocketAddress> relay_ips;  ///< empty: the address the request reached
  std::vector<ExternalMapping> external_ips;
  std::uint16_t min_port = 49152;
  std::uint16_t max_port = 65535;
  unsigned relay_threads = 0;  ///< 0: one per CPU
  bool no_udp_relay = false;
  bool no_tcp_relay = false;  ///< refuse RFC 6062 TCP allocations
  /// allocation-default-address-family: the relay family when an Allocate names none
  /// (RFC 8656 §7.2 says IPv4; `keep` follows the client's own family, coturn's -A keep).
  enum class AddressFamilyDefault : std::uint8_t { kIpv4, kIpv6, kKeep };
  AddressFamilyDefault allocation_default_address_family = AddressFamilyDefault::kIpv4;
  /// The loop pacer's latency budget: the most microseconds a loaded worker's pause after a
  /// small batch may hold a packet, overshoot included (worker/batch_pacer.hpp); 0 turns it
  /// off. turnd's own option.
  unsigned relay_coalesce_us = 40;
  /// UDP GSO for runs of equal-sized datagrams to one destination (coturn 4.12's udp-gso). Off
  /// by default: on loopback and veth the receiver segments in software and it costs more.
  bool udp_gso = false;
  /// The TC/eBPF fast path for bound UDP channels (turnd/offload): auto uses it where the
  /// process may load BPF programs, on fails startup where it cannot. turnd's own option.
  enum class KernelOffload : std::uint8_t { kAuto, kOn, kOff };
  KernelOffload kernel_offload = KernelOffload::kAuto;

  // Authentication
  bool lt_cred_mech = true;
  bool no_auth = false;
  std::string realm = "turnd";
  std::vector<StaticUser> users;
  std::string userdb;  ///< coturn SQLite database, or a flat file of user:password lines
  /// Database servers with coturn's schemas (at most one of them, and not with userdb): the
  /// connection strings of redis-userdb, psql-userdb and mysql-userdb.
  std::string redis_userdb;
  std::string psql_userdb;
  std::string mysql_userdb;
  /// How often a database server is read again when it cannot announce changes itself (SQL,
  /// or Redis without keyspace notifications), seconds. turnd's own option.
  unsigned userdb_refresh = 5;
  unsigned stale_nonce = 600;
  /// TURN REST API credentials (use-auth-secret): secrets from static-auth-secret and the
  /// database's turn_secret table; usernames are "expiry<rest_api_separator>user".
  bool use_auth_secret = false;
  std::vector<std::string> static_auth_secrets;
  char rest_api_separator = ':';

  // Lifetimes (seconds) and quotas
  unsigned max_allocate_lifetime = 3600;
  /// max-allocate-timeout: seconds an RFC 6062 Connect may take before 447 (coturn's default 60).
  unsigned max_allocate_timeout = 60;
  unsigned default_allocate_lifetime = 600;
  unsigned channel_lifetime = 600;
  unsigned permission_lifetime = 300;
  unsigned user_quota = 0;   ///< allocations per user; 0 = unlimited
  unsigned total_quota = 0;  ///< allocations in all; 0 = unlimited
  /// Bytes per second one allocation may relay in each direction (coturn max-bps); 0 = no cap.
  std::uint64_t max_bps = 0;
  /// bps-capacity (-B): bytes per second the server may hand out in all; each allocation
  /// reserves max-bps of it (coturn). 0 = no cap.
  std::uint64_t bps_capacity = 0;
  /// SIGUSR1 drain: exit once no more than this many allocations remain (coturn 4.15).
  unsigned drain_min_allocations = 0;

  // ALTERNATE-SERVER (RFC 8489 §10, RFC 8656 §7.2): Allocate answered 300 Try Alternate.
  /// alternate-server: IP[:port] (default port 3478), repeatable; a repeated entry gets a larger
  /// share of the round robin. Used for every client whose own list below is empty.
  std::vector<stun::SocketAddress> alternate_servers;
  /// tls-alternate-server (default port 5349): for TLS and DTLS clients (coturn).
  std::vector<stun::SocketAddress> tls_alternate_servers;
  /// udp-alternate-server / tcp-alternate-server (coturn 4.15): for UDP / plain TCP clients.
  std::vector<stun::SocketAddress> udp_alternate_servers;
  std::vector<stun::SocketAddress> tcp_alternate_servers;
  /// turnd's alternate-domain: ALTERNATE-DOMAIN (RFC 8489 §14.16) in 300s to TLS/DTLS clients,
  /// the name the alternates' certificates carry; empty: none (the client keeps its name).
  std::string alternate_domain;
  /// turnd's alternate-server-mode: always (coturn: every Allocate is redirected unless this
  /// node is itself in the list) or overflow (served here; redirected only at total-quota, at
  /// bps-capacity or while draining). Draining redirects in both modes.
  enum class AlternateMode : std::uint8_t { kAlways, kOverflow };
  AlternateMode alternate_server_mode = AlternateMode::kAlways;

  // Per-allocation and per-source bounds (turnd's own options; coturn has none of these)
  /// Peer IPs one allocation may hold permissions for (RFC 8656 §9.2: 508 beyond).
  unsigned max_allocation_permissions = 128;
  /// Channels one allocation may bind (RFC 8656 §11.2: 508 beyond).
  unsigned max_allocation_channels = 128;
  /// RFC 6062 peer connections (Connect and accepted) one TCP allocation may have at once.
  unsigned max_tcp_peer_connections = 32;
  /// TCP/TLS connections and DTLS sessions from one source (IPv4 address or IPv6 /64).
  unsigned max_connections_per_source = 1000;
  /// TCP/TLS connections and DTLS sessions in all; 0 = half the open-file limit.
  unsigned max_connections = 0;

  // Answers to unauthenticated sources (UDP; TCP/TLS/DTLS sources cannot be spoofed)
  /// coturn 4.14's unauthorized-ratelimit: at most unauthorized_ratelimit_rps error answers a
  /// second to requests that did not authenticate, per source; the rest are dropped. On by
  /// default in turnd (off in coturn): a 401 is bigger than the request that caused it.
  bool unauthorized_ratelimit = true;
  unsigned unauthorized_ratelimit_rps = 10;
  /// TURN requests one source may send in one (wall-clock) second before the rest of that
  /// second's are dropped unread (authenticating each costs an HMAC and a user lookup). 0 = no
  /// cap.
  unsigned request_ratelimit_rps = 200;

  // Built-in brute-force ban (fail2ban's semantics and defaults, without fail2ban)
  bool auth_ban = true;
  unsigned auth_ban_maxretry = 10;              ///< failures within findtime that ban the source
  unsigned auth_ban_findtime = 300;             ///< seconds
  unsigned auth_ban_bantime = 300;              ///< seconds
  std::vector<AddressRange> auth_ban_ignoreip;  ///< sources never banned

  // Peer policy
  std::vector<AddressRange> allowed_peer_ips;
  std::vector<AddressRange> denied_peer_ips;
  bool allow_loopback_peers = false;
  bool no_multicast_peers = true;

  // STUN behaviour
  bool fingerprint = false;
  /// Accept RFC 5766 channel numbers 0x4000-0x7FFF, not only RFC 8656's 0x4000-0x4FFF.
  /// On by default so RFC 5766 clients keep working (coturn 4.16+ made it opt-in).
  bool rfc5766_channel_numbers = true;
  std::uint16_t max_channel() const {
    return rfc5766_channel_numbers ? stun::kMaxChannelRfc5766 : stun::kMaxChannel;
  }
  bool software_attribute = false;  ///< SOFTWARE only when configured (coturn 4.7+ default)
  /// Answer classic RFC 3489 Binding requests (MAPPED-ADDRESS); off by default as in coturn 4.7+
  /// (stun-backward-compatibility; no-stun-backward-compatibility is the 4.6 name).
  bool stun_backward_compatibility = false;
  bool secure_stun = false;  ///< Binding requests need long-term credentials too
  bool log_binding = false;  ///< log each Binding request (rate-limited)
  std::string software = "turnd";

  // Metrics (coturn's Prometheus exporter; plain HTTP, restart-only)
  bool prometheus = false;
  std::uint16_t prometheus_port = 9641;
  stun::SocketAddress prometheus_address = stun::SocketAddress::v4({0, 0, 0, 0}, 0);
  std::string prometheus_path = "/metrics";
  bool prometheus_username_labels = false;  ///< turn_traffic_* get a `user` label

  // Admin API (coturn's CLI option names; JSON over HTTP; restart-only). Off unless
  // cli-password is set: with no password it never listens, and a non-loopback cli-ip without
  // one is a configuration error.
  bool no_cli = false;
  stun::SocketAddress cli_ip = stun::SocketAddress::v4({127, 0, 0, 1}, 0);
  std::uint16_t cli_port = 5766;
  std::string cli_password;  ///< plain, or coturn's "$5$<salt>$<sha256>" from turnadmin -P
  bool admin_api() const { return !no_cli && !cli_password.empty(); }

  // Logging and process
  unsigned verbose = 0;  ///< 0 normal, 1 verbose, 2 Verbose
  std::string log_file;  ///< empty: stdout
  bool no_stdout_log = false;
  bool syslog = false;
  std::string syslog_facility;
  bool simple_log = false;
  std::string log_timestamp_format;  ///< new-log-timestamp-format; "" = ISO 8601 UTC
  std::string log_min_level;         ///< error/warning/info/verbose/debug; "" = from verbose
  std::string log_format = "text";   ///< turnd's log-format: text (coturn's lines) or json
  std::string pidfile;
  bool daemon = false;
  std::string proc_user;
  std::string proc_group;

  /// Where each option was last set ("file:line" or "command line"), for error messages.
  std::map<std::string, std::string> origins;
  std::string origin_of(const std::string& option) const {
    auto it = origins.find(option);
    return it == origins.end() ? "default" : it->second;
  }

  /// Field by field, origins included (tests compare whole configurations).
  bool operator==(const Config&) const = default;
};

}  // namespace turn
