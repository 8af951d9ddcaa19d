#include "config/option_values.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

namespace turn {
namespace {

[[noreturn]] void fail(const ConfigEntry& e, const std::string& why) {
  throw ConfigError(e.origin + ": option '" + e.name + "': " + why);
}

/// Sets the low `bits` bits of an address (for "ip/len" ranges).
stun::SocketAddress with_host_bits(stun::SocketAddress a, unsigned prefix, bool ones) {
  const unsigned total = static_cast<unsigned>(a.ip_size()) * 8;
  for (unsigned bit = prefix; bit < total; ++bit) {
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if (ones) {
      a.ip[bit / 8] |= mask;
    } else {
      a.ip[bit / 8] &= static_cast<std::uint8_t>(~mask);
    }
  }
  return a;
}

int compare_ip(const stun::SocketAddress& a, const stun::SocketAddress& b) {
  return std::memcmp(a.ip.data(), b.ip.data(), a.ip_size());
}

}  // namespace

bool AddressRange::contains(const stun::SocketAddress& ip) const {
  if (ip.family != first.family)
    return false;
  return compare_ip(first, ip) <= 0 && compare_ip(ip, last) <= 0;
}

std::optional<AddressRange> AddressRange::parse(const std::string& text) {
  if (const auto slash = text.find('/'); slash != std::string::npos) {
    auto base = stun::SocketAddress::parse_ip(text.substr(0, slash));
    unsigned prefix = 0;
    const std::string len = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
    if (!base || ec != std::errc{} || end != len.data() + len.size() ||
        prefix > base->ip_size() * 8) {
      return std::nullopt;
    }
    return AddressRange{with_host_bits(*base, prefix, false), with_host_bits(*base, prefix, true)};
  }
  // "a-b": the dash is never part of an IPv4 or IPv6 literal.
  if (const auto dash = text.find('-'); dash != std::string::npos) {
    auto a = stun::SocketAddress::parse_ip(text.substr(0, dash));
    auto b = stun::SocketAddress::parse_ip(text.substr(dash + 1));
    if (!a || !b || a->family != b->family || compare_ip(*a, *b) > 0)
      return std::nullopt;
    return AddressRange{*a, *b};
  }
  auto a = stun::SocketAddress::parse_ip(text);
  if (!a)
    return std::nullopt;
  return AddressRange{*a, *a};
}

bool parse_bool(const ConfigEntry& e) {
  if (!e.has_value)
    return true;  // a bare flag means "on"
  static const char* const kTrue[] = {"on", "yes", "true", "1"};
  static const char* const kFalse[] = {"off", "no", "false", "0"};
  for (const char* t : kTrue) {
    if (strcasecmp(e.value.c_str(), t) == 0)
      return true;
  }
  for (const char* f : kFalse) {
    if (strcasecmp(e.value.c_str(), f) == 0)
      return false;
  }
  // coturn accepts any number; non-zero means on.
  unsigned n = 0;
  auto [end, ec] = std::from_chars(e.value.data(), e.value.data() + e.value.size(), n);
  if (ec == std::errc{} && end == e.value.data() + e.value.size())
    return n != 0;
  fail(e, "expected on/off, yes/no, true/false or a number, got '" + e.value + "'");
}

unsigned parse_uint(const ConfigEntry& e, unsigned min, unsigned max) {
  unsigned n = 0;
  const std::string& v = require_value(e);
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size())
    fail(e, "expected a number, got '" + v + "'");
  if (n < min || n > max) {
    fail(e, "value " + v + " out of range " + std::to_string(min) + "-" + std::to_string(max));
  }
  return n;
}

std::uint16_t parse_port(const ConfigEntry& e) {
  return static_cast<std::uint16_t>(parse_uint(e, 1, 65535));
}

std::uint16_t parse_port_or_zero(const ConfigEntry& e) {
  return static_cast<std::uint16_t>(parse_uint(e, 0, 65535));
}

Config::AddressFamilyDefault parse_address_family(const ConfigEntry& e) {
  // coturn's -A: the family of the relayed address when the Allocate carries no
  // REQUESTED-ADDRESS-FAMILY (RFC 8656 §7.2 says IPv4; "keep" follows the client's transport).
  const std::string& v = require_value(e);
  if (strcasecmp(v.c_str(), "ipv4") == 0)
    return Config::AddressFamilyDefault::kIpv4;
  if (strcasecmp(v.c_str(), "ipv6") == 0)
    return Config::AddressFamilyDefault::kIpv6;
  if (strcasecmp(v.c_str(), "keep") == 0)
    return Config::AddressFamilyDefault::kKeep;
  fail(e, "expected ipv4, ipv6 or keep, got '" + v + "'");
}

Config::KernelOffload parse_kernel_offload(const ConfigEntry& e) {
  const std::string& v = require_value(e);
  if (strcasecmp(v.c_str(), "auto") == 0)
    return Config::KernelOffload::kAuto;
  if (strcasecmp(v.c_str(), "on") == 0)
    return Config::KernelOffload::kOn;
  if (strcasecmp(v.c_str(), "off") == 0)
    return Config::KernelOffload::kOff;
  fail(e, "expected auto, on or off, got '" + v + "'");
}

stun::SocketAddress parse_ip(const ConfigEntry& e) {
  auto a = stun::SocketAddress::parse_ip(require_value(e));
  if (!a)
    fail(e, "'" + e.value + "' is not an IPv4 or IPv6 address");
  return *a;
}

ExternalMapping parse_external_ip(const ConfigEntry& e) {
  const std::string& v = require_value(e);
  const auto slash = v.find('/');
  auto pub = stun::SocketAddress::parse_ip(v.substr(0, slash));
  if (!pub)
    fail(e, "'" + v + "' is not PUBLIC or PUBLIC/PRIVATE addresses");
  ExternalMapping m{*pub, std::nullopt};
  if (slash != std::string::npos) {
    auto priv = stun::SocketAddress::parse_ip(v.substr(slash + 1));
    if (!priv || priv->family != pub->family)
      fail(e, "'" + v + "': bad PRIVATE address");
    m.private_ip = *priv;
  }
  return m;
}

StaticUser parse_user(const ConfigEntry& e) {
  const std::string& v = require_value(e);
  const auto colon = v.find(':');
  if (colon == std::string::npos || colon == 0)
    fail(e, "expected name:password or name:0xKEY");
  StaticUser u{v.substr(0, colon), v.substr(colon + 1)};
  if (u.secret.rfind("0x", 0) == 0 && u.secret.size() != 34) {
    fail(e, "a 0x key must have 32 hex digits (MD5 of user:realm:password)");
  }
  return u;
}

AddressRange parse_range(const ConfigEntry& e) {
  auto r = AddressRange::parse(require_value(e));
  if (!r)
    fail(e, "'" + e.value + "' is not an address, range (a-b) or prefix (a/len)");
  return *r;
}

stun::SocketAddress parse_alternate(const ConfigEntry& e, std::uint16_t default_port) {
  const std::string& v = require_value(e);
  auto a = stun::SocketAddress::parse(v);
  if (!a)
    fail(e, "'" + v + "' is not IP, IP:port or [IPv6]:port");
  // parse() reads "1.2.3.4:0" and "[::1]:0" as port 0, the same as no port: say so rather
  // than send clients to port 0 or silently to the default.
  const bool port_given = (a->is_v4() && v.find(':') != std::string::npos) ||
                          (!v.empty() && v.front() == '[' && v.find("]:") != std::string::npos);
  if (a->port == 0) {
    if (port_given)
      fail(e, "'" + v + "': port 0");
    a->port = default_port;
  }
  const bool unspecified =
      std::all_of(a->ip.begin(), a->ip.begin() + static_cast<long>(a->ip_size()),
                  [](std::uint8_t b) { return b == 0; });
  if (unspecified)
    fail(e, "'" + v + "': a wildcard address cannot be an alternate server");
  return *a;
}

std::string parse_domain(const ConfigEntry& e) {
  const std::string& v = require_value(e);
  // RFC 8489 §14.16: at most 255 bytes, a name as RFC 6125 compares it with a certificate.
  bool ok = !v.empty() && v.size() <= 255 && v.front() != '.' && v.back() != '.' &&
            v.front() != '-' && v.find("..") == std::string::npos;
  for (std::size_t i = 0; ok && i < v.size(); ++i) {
    const char c = v[i];
    const bool wildcard = c == '*' && i == 0 && v.size() > 2 && v[1] == '.';
    ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || wildcard;
  }
  if (!ok)
    fail(e, "'" + v + "' is not a DNS name");
  return v;
}

Config::AlternateMode parse_alternate_mode(const ConfigEntry& e) {
  const std::string& v = require_value(e);
  if (strcasecmp(v.c_str(), "always") == 0)
    return Config::AlternateMode::kAlways;
  if (strcasecmp(v.c_str(), "overflow") == 0)
    return Config::AlternateMode::kOverflow;
  fail(e, "expected always or overflow, got '" + v + "'");
}

std::string parse_syslog_facility(const ConfigEntry& e) {
  static const char* const kNames[] = {"local0", "local1", "local2", "local3",
                                       "local4", "local5", "local6", "local7",
                                       "daemon", "user",   "auth",   "authpriv"};
  for (const char* n : kNames) {
    if (e.value == n)
      return e.value;
  }
  fail(e, "unknown syslog facility '" + e.value + "' (local0-local7, daemon, user, auth)");
}

std::string parse_log_level(const ConfigEntry& e) {
  static const char* const kNames[] = {"error", "warning", "info", "verbose", "debug"};
  for (const char* n : kNames) {
    if (e.value == n)
      return e.value;
  }
  fail(e, "expected error, warning, info, verbose or debug, got '" + e.value + "'");
}

std::string parse_log_format(const ConfigEntry& e) {
  if (e.value == "text" || e.value == "json")
    return e.value;
  fail(e, "expected text or json, got '" + e.value + "'");
}

const std::string& require_value(const ConfigEntry& e) {
  if (!e.has_value)
    fail(e, "needs a value");
  return e.value;
}

namespace {

struct ListenerPort {
  const char* option;
  std::uint16_t port;
};

/// Two listeners of the same kind on one port cannot both bind. 0 means "not listening". The
/// TLS ports only listen when a certificate is set (no cert, no TLS listeners), so without
/// `cert` they may equal the plain ports, as a coturn file that never used TLS may have them.
void check_distinct_ports(const Config& c) {
  std::vector<ListenerPort> ports = {{"listening-port", c.listening_port},
                                     {"alt-listening-port", c.alt_listening_port}};
  if (!c.cert.empty()) {
    ports.push_back({"tls-listening-port", c.tls_listening_port});
    ports.push_back({"alt-tls-listening-port", c.alt_tls_listening_port});
  }
  for (std::size_t i = 0; i < ports.size(); ++i) {
    for (std::size_t j = i + 1; j < ports.size(); ++j) {
      if (ports[i].port == 0 || ports[i].port != ports[j].port)
        continue;
      // TLS and DTLS are also recognised on the plain ports by their first byte, so a
      // separate TLS port is optional: 0 turns it off.
      throw ConfigError(c.origin_of(ports[j].option) + ": option '" + ports[j].option + "': port " +
                        std::to_string(ports[j].port) + " is also " + ports[i].option + " (" +
                        c.origin_of(ports[i].option) +
                        "); use another port, or 0 for none (TLS is detected on every port)");
    }
  }
}

}  // namespace

namespace {

bool is_loopback(const stun::SocketAddress& address) {
  const stun::SocketAddress a = address.unmapped();
  if (a.is_v4())
    return a.ip[0] == 127;
  static constexpr std::array<std::uint8_t, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                               0, 0, 0, 0, 0, 0, 0, 1};
  return a.ip == kV6Loopback;
}

/// The admin API can end every session and reload the server: a listener other hosts can reach
/// is refused unless a password guards it.
void check_admin_endpoint(const Config& c) {
  if (c.no_cli || !c.cli_password.empty() || is_loopback(c.cli_ip))
    return;
  throw ConfigError(c.origin_of("cli-ip") + ": option 'cli-ip': " + c.cli_ip.ip_string() +
                    " is not a loopback address: the admin API there needs cli-password (or set "
                    "no-cli)");
}

}  // namespace

std::string masked_connection_string(std::string_view text) {
  std::string out(text);
  for (std::string_view key : {"password=", "pwd=", "passwd="}) {
    for (std::size_t at = out.find(key); at != std::string::npos; at = out.find(key, at + 1)) {
      if (at != 0 && out[at - 1] != ' ' && out[at - 1] != '\t')
        continue;  // the tail of another key's name
      std::size_t begin = at + key.size(), end = begin;
      if (end < out.size() && out[end] == '\'') {
        for (++end; end < out.size() && out[end] != '\''; ++end) {
          if (out[end] == '\\')
            ++end;
        }
        end = std::min(end + 1, out.size());
      } else {
        while (end < out.size() && out[end] != ' ' && out[end] != '\t')
          ++end;
      }
      out.replace(begin, end - begin, "***");
    }
  }
  // A libpq URI: postgresql://user:password@host/db
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto at = out.find('@', scheme);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  return out;
}

namespace {

/// coturn keeps one user database; two would leave which one answers to the order of lines.
void check_one_userdb(const Config& c) {
  std::vector<std::string> set;
  if (!c.userdb.empty())
    set.push_back("userdb");
  if (!c.redis_userdb.empty())
    set.push_back("redis-userdb");
  if (!c.psql_userdb.empty())
    set.push_back("psql-userdb");
  if (!c.mysql_userdb.empty())
    set.push_back("mysql-userdb");
  if (set.size() < 2)
    return;
  throw ConfigError(c.origin_of(set[1]) + ": option '" + set[1] + "': only one user database " +
                    "can be configured, and " + set[0] + " is already set (" + c.origin_of(set[0]) +
                    ")");
}

}  // namespace

void validate(const Config& c) {
  check_one_userdb(c);
  check_distinct_ports(c);
  if (c.min_port > c.max_port) {
    throw ConfigError(c.origin_of("min-port") +
                      ": option 'min-port': " + std::to_string(c.min_port) + " is above max-port " +
                      std::to_string(c.max_port) + " (" + c.origin_of("max-port") + ")");
  }
  check_admin_endpoint(c);
  if (c.lt_cred_mech && c.no_auth && c.origins.count("lt-cred-mech") != 0) {
    throw ConfigError(c.origin_of("no-auth") + ": option 'no-auth': excludes lt-cred-mech (" +
                      c.origin_of("lt-cred-mech") + ")");
  }
}

}  // namespace turn
