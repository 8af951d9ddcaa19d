#include "config/option_codecs.hpp"

#include "config/option_values.hpp"

namespace turn {
namespace {

std::string number_text(std::uint64_t v) {
  return std::to_string(v);
}

std::string ip_text(const stun::SocketAddress& a) {
  return a.ip_string();
}

std::string as_is(const std::string& s) {
  return s;
}

}  // namespace

Codec<bool> on_off() {
  return {false, parse_bool, [](bool v) { return std::string(v ? "on" : "off"); }, {}};
}

Codec<bool> negated() {
  Codec<bool> c = on_off();
  c.parse = [](const ConfigEntry& e) { return !parse_bool(e); };
  return c;
}

Codec<std::uint16_t> port() {
  return {true, parse_port, number_text, {}};
}

Codec<std::uint16_t> port_or_zero() {
  return {true, parse_port_or_zero, number_text, {}};
}

Codec<unsigned> count(unsigned min, unsigned max) {
  return {
      true, [min, max](const ConfigEntry& e) { return parse_uint(e, min, max); }, number_text, {}};
}

Codec<std::uint64_t> rate(unsigned min, unsigned max) {
  return {true,
          [min, max](const ConfigEntry& e) -> std::uint64_t { return parse_uint(e, min, max); },
          number_text,
          {}};
}

Codec<unsigned> count_or(unsigned bare, unsigned min, unsigned max) {
  return {false,
          [bare, min, max](const ConfigEntry& e) {
            return e.has_value ? parse_uint(e, min, max) : bare;
          },
          number_text,
          {}};
}

Codec<std::string> text() {
  return {true, require_value, as_is, {}};
}

Codec<std::string> connection_string() {
  return {true, require_value, as_is,
          [](const std::string& s) { return masked_connection_string(s); }};
}

Codec<char> character() {
  return {true,
          [](const ConfigEntry& e) { return require_value(e)[0]; },
          [](char c) { return std::string(1, c); },
          {}};
}

Codec<stun::SocketAddress> ip() {
  return {true, parse_ip, ip_text, {}};
}

Codec<ExternalMapping> external_ip() {
  return {true,
          parse_external_ip,
          [](const ExternalMapping& m) {
            return m.public_ip.ip_string() +
                   (m.private_ip ? "/" + m.private_ip->ip_string() : std::string());
          },
          {}};
}

Codec<StaticUser> user() {
  return {true, parse_user, [](const StaticUser& u) { return u.name + ":" + u.secret; },
          [](const StaticUser& u) { return u.name + ":***"; }};
}

Codec<AddressRange> range() {
  return {true,
          parse_range,
          [](const AddressRange& r) {
            return r.first == r.last ? r.first.ip_string()
                                     : r.first.ip_string() + "-" + r.last.ip_string();
          },
          {}};
}

Codec<stun::SocketAddress> alternate(std::uint16_t default_port) {
  return {true,
          [default_port](const ConfigEntry& e) { return parse_alternate(e, default_port); },
          [](const stun::SocketAddress& a) { return a.to_string(); },
          {}};
}

Codec<std::string> domain() {
  return {true, parse_domain, as_is, {}};
}

Codec<Config::AlternateMode> alternate_mode() {
  return {true,
          parse_alternate_mode,
          [](Config::AlternateMode m) {
            return std::string(m == Config::AlternateMode::kOverflow ? "overflow" : "always");
          },
          {}};
}

Codec<Config::AddressFamilyDefault> address_family() {
  return {true,
          parse_address_family,
          [](Config::AddressFamilyDefault f) {
            switch (f) {
              case Config::AddressFamilyDefault::kIpv6:
                return std::string("ipv6");
              case Config::AddressFamilyDefault::kKeep:
                return std::string("keep");
              case Config::AddressFamilyDefault::kIpv4:
                break;
            }
            return std::string("ipv4");
          },
          {}};
}

Codec<Config::KernelOffload> kernel_offload() {
  return {true,
          parse_kernel_offload,
          [](Config::KernelOffload k) {
            switch (k) {
              case Config::KernelOffload::kOn:
                return std::string("on");
              case Config::KernelOffload::kOff:
                return std::string("off");
              case Config::KernelOffload::kAuto:
                break;
            }
            return std::string("auto");
          },
          {}};
}

Codec<std::string> http_path() {
  return {true,
          [](const ConfigEntry& e) {
            const std::string& path = require_value(e);
            if (path.front() != '/' || path.find_first_of(" \t?#") != std::string::npos) {
              throw ConfigError(e.origin + ": option '" + e.name + "': '" + path +
                                "' is not an HTTP path (it must start with '/')");
            }
            return path;
          },
          as_is,
          {}};
}

Codec<std::string> log_file() {
  return {true,
          [](const ConfigEntry& e) {
            const std::string& v = require_value(e);
            return v == "stdout" ? std::string() : v;
          },
          [](const std::string& v) { return v.empty() ? std::string("stdout") : v; },
          {}};
}

Codec<std::string> syslog_facility() {
  return {true, parse_syslog_facility, as_is, {}};
}

Codec<std::string> log_level() {
  return {true, parse_log_level, as_is, {}};
}

Codec<std::string> log_format() {
  return {true, parse_log_format, as_is, {}};
}

Codec<unsigned> verbosity(unsigned level) {
  return {
      false, [level](const ConfigEntry& e) { return parse_bool(e) ? level : 0u; }, number_text, {}};
}

}  // namespace turn
