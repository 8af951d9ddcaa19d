// Value parsers for configuration options. Each throws ConfigError naming the entry's origin
// (file:line) and option on a bad value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/config_loader.hpp"

namespace turn {

bool parse_bool(const ConfigEntry& e);
std::uint16_t parse_port(const ConfigEntry& e);
/// A port where 0 means "no such listener" (tls-listening-port, alt-*-port).
std::uint16_t parse_port_or_zero(const ConfigEntry& e);
/// allocation-default-address-family: ipv4, ipv6 or keep.
Config::AddressFamilyDefault parse_address_family(const ConfigEntry& e);
Config::KernelOffload parse_kernel_offload(const ConfigEntry& e);
unsigned parse_uint(const ConfigEntry& e, unsigned min, unsigned max);
stun::SocketAddress parse_ip(const ConfigEntry& e);
ExternalMapping parse_external_ip(const ConfigEntry& e);
StaticUser parse_user(const ConfigEntry& e);
AddressRange parse_range(const ConfigEntry& e);
/// alternate-server and friends: IP, IP:port, [IPv6]:port or a bare IPv6 (coturn's forms);
/// `default_port` when none is given.
stun::SocketAddress parse_alternate(const ConfigEntry& e, std::uint16_t default_port);
/// alternate-domain: a DNS name (letters, digits, '-', '.', a leading "*." wildcard).
std::string parse_domain(const ConfigEntry& e);
Config::AlternateMode parse_alternate_mode(const ConfigEntry& e);
const std::string& require_value(const ConfigEntry& e);
std::string parse_syslog_facility(const ConfigEntry& e);
std::string parse_log_level(const ConfigEntry& e);
std::string parse_log_format(const ConfigEntry& e);
/// A database connection string with the password's value (password=, pwd=, a URI's
/// user:password@) replaced by "***", for logs and printed configurations.
std::string masked_connection_string(std::string_view text);

/// Cross-option checks (port range order, listener ports that collide, ...); throws ConfigError.
void validate(const Config& c);

}  // namespace turn
