// How one option value reads and prints: the parsers of option_values.hpp paired with the text
// --check-config writes back, so the table binds a field to both halves at once.
#pragma once

#include <functional>
#include <string>

#include "config/config.hpp"
#include "config/config_loader.hpp"

namespace turn {

template <typename T>
struct Codec {
  bool takes_value = true;  ///< false: a flag, bare means on
  std::function<T(const ConfigEntry&)> parse;
  std::function<std::string(const T&)> text;
  /// For a secret: the text with the secret part hidden; unset hides the whole value.
  std::function<std::string(const T&)> masked;
};

Codec<bool> on_off();
/// A flag written with its opposite's name (no-dtls sets dtls); only for aliases, which the
/// printer never writes.
Codec<bool> negated();
Codec<std::uint16_t> port();
/// 0 means "no such listener" (tls-listening-port, alt-*-port).
Codec<std::uint16_t> port_or_zero();
Codec<unsigned> count(unsigned min, unsigned max);
Codec<std::uint64_t> rate(unsigned min, unsigned max);
/// A number, or the bare flag for `bare` (stale-nonce alone means 600 s).
Codec<unsigned> count_or(unsigned bare, unsigned min, unsigned max);
Codec<std::string> text();
/// A database connection string; masked, only its password is hidden.
Codec<std::string> connection_string();
Codec<char> character();
Codec<stun::SocketAddress> ip();
Codec<ExternalMapping> external_ip();
/// name:password or name:0xKEY; masked, the name stays so the output still says who exists.
Codec<StaticUser> user();
Codec<AddressRange> range();
/// An alternate server, IP[:port], printed as IP:port ([IPv6]:port).
Codec<stun::SocketAddress> alternate(std::uint16_t default_port);
Codec<std::string> domain();
Codec<Config::AlternateMode> alternate_mode();
Codec<Config::AddressFamilyDefault> address_family();
Codec<Config::KernelOffload> kernel_offload();
/// An HTTP path for the metrics endpoint (starts with '/', no query).
Codec<std::string> http_path();
/// "stdout" is the default's spelling, read as "" so the printed default reads back equal.
Codec<std::string> log_file();
Codec<std::string> syslog_facility();
Codec<std::string> log_level();
/// log-format: text or json.
Codec<std::string> log_format();
/// verbose (1) and Verbose (2): on sets the level, off clears it.
Codec<unsigned> verbosity(unsigned level);

}  // namespace turn
