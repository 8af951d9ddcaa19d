// coturn's turnserver.conf grammar and command line into a Config (unit).
#include "config/config_loader.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "config/table_fixtures.hpp"

namespace {

using turn::ConfigEntry;
using turn::ConfigError;

struct Parsed {
  bool entry = false;
  ConfigEntry e;
  std::vector<std::string> warnings;
};

Parsed line(std::string_view text) {
  Parsed p;
  p.entry = turn::parse_config_line(text, "test.conf:7", p.e, p.warnings);
  return p;
}

ConfigEntry entry(const std::string& name, const std::string& value = "",
                  const std::string& origin = "test.conf:1") {
  return ConfigEntry{name, value, !value.empty(), origin};
}

turn::Config apply(const std::vector<ConfigEntry>& file, const std::vector<ConfigEntry>& cli = {}) {
  std::vector<std::string> warnings;
  return turn::apply_entries(file, cli, warnings);
}

/// The ConfigError message apply() throws, or "" when it does not throw.
std::string error_of(const std::vector<ConfigEntry>& file,
                     const std::vector<ConfigEntry>& cli = {}) {
  try {
    apply(file, cli);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

using tabletest::TempFile;

}  // namespace

TEST_CASE("config line: name=value, name value, tabs and runs of separators") {
  for (std::string_view text :
       {"listening-port=3479", "listening-port 3479", "listening-port\t3479",
        "  listening-port = 3479  ", "listening-port\t=\t3479\r", "listening-port==3479"}) {
    CAPTURE(text);
    auto p = line(text);
    REQUIRE(p.entry);
    CHECK(p.e.name == "listening-port");
    CHECK(p.e.value == "3479");
    CHECK(p.e.has_value);
    CHECK(p.e.origin == "test.conf:7");
    CHECK(p.warnings.empty());
  }
}

TEST_CASE("config line: comments and blank lines are not entries") {
  for (std::string_view text : {"", "   ", "\t", "# listening-port=1", "   # indented", "#"}) {
    CAPTURE(text);
    CHECK_FALSE(line(text).entry);
  }
}

TEST_CASE("config line: bare flags, quotes, values with spaces") {
  auto flag = line("lt-cred-mech");
  REQUIRE(flag.entry);
  CHECK(flag.e.name == "lt-cred-mech");
  CHECK_FALSE(flag.e.has_value);

  auto empty = line("fingerprint=");
  REQUIRE(empty.entry);
  CHECK_FALSE(empty.e.has_value);

  auto quoted = line("realm=\"example.org\"");
  CHECK(quoted.e.value == "example.org");
  auto spaced = line("realm = \"my realm\"");
  CHECK(spaced.e.value == "my realm");
  auto user = line("user=alice:pass word");
  CHECK(user.e.name == "user");
  CHECK(user.e.value == "alice:pass word");
}

TEST_CASE("config line: a trailing ';' is kept and warned about with file:line") {
  auto p = line("realm=example.org;");
  REQUIRE(p.entry);
  CHECK(p.e.value == "example.org;");
  REQUIRE(p.warnings.size() == 1);
  CHECK(contains(p.warnings[0], "test.conf:7"));
}

TEST_CASE("config: booleans accept on/off, yes/no, true/false, 1/0 and bare flags") {
  for (const char* on : {"on", "yes", "true", "1", "ON", "Yes", "TRUE", "7"}) {
    CAPTURE(on);
    CHECK(apply({entry("fingerprint", on)}).fingerprint);
  }
  for (const char* off : {"off", "no", "false", "0", "OFF", "No"}) {
    CAPTURE(off);
    CHECK_FALSE(apply({entry("fingerprint", "on"), entry("fingerprint", off)}).fingerprint);
  }
  CHECK(apply({entry("fingerprint")}).fingerprint);
  CHECK_FALSE(apply({}).fingerprint);
  CHECK(apply({entry("allow-loopback-peers")}).allow_loopback_peers);
  CHECK_FALSE(apply({entry("no-software-attribute", "on")}).software_attribute);
  CHECK(apply({entry("no-software-attribute", "off")}).software_attribute);
}

TEST_CASE("config: a bad value throws ConfigError naming file:line and the option") {
  struct Bad {
    const char* name;
    const char* value;
  };
  for (const Bad b : {Bad{"fingerprint", "maybe"},
                      Bad{"listening-port", "abc"},
                      Bad{"listening-port", "70000"},
                      Bad{"listening-port", "0"},
                      Bad{"min-port", "-1"},
                      Bad{"listening-ip", "1.2.3"},
                      Bad{"listening-ip", "example.org"},
                      Bad{"relay-threads", "1000"},
                      Bad{"user", "nocolon"},
                      Bad{"user", "bob:0x1234"},
                      Bad{"allowed-peer-ip", "10.0.0.0/33"},
                      Bad{"denied-peer-ip", "10.0.0.9-10.0.0.1"},
                      Bad{"external-ip", "1.2.3.4/::1"},
                      Bad{"max-allocate-lifetime", "0"},
                      Bad{"stale-nonce", "x"},
                      Bad{"max-allocation-permissions", "0"},
                      Bad{"max-allocation-channels", "20000"},
                      Bad{"max-tcp-peer-connections", "none"},
                      Bad{"max-connections-per-source", "0"},
                      Bad{"unauthorized-ratelimit", "sometimes"},
                      Bad{"unauthorized-ratelimit-rps", "0"},
                      Bad{"request-ratelimit-rps", "-5"},
                      Bad{"auth-ban-maxretry", "0"},
                      Bad{"auth-ban-findtime", "0"},
                      Bad{"auth-ban-bantime", "1y"},
                      Bad{"auth-ban-ignoreip", "300.0.0.1"}}) {
    CAPTURE(b.name);
    CAPTURE(b.value);
    const std::string what = error_of({entry(b.name, b.value, "site.conf:42")});
    CHECK(contains(what, "site.conf:42"));
    CHECK(contains(what, b.name));
  }
  // An option that needs a value, given bare.
  const std::string what = error_of({entry("realm", "", "site.conf:3")});
  CHECK(contains(what, "site.conf:3"));
  CHECK(contains(what, "realm"));
}

TEST_CASE("config: an unknown option in a file warns with file:line and is ignored") {
  std::vector<std::string> warnings;
  const auto c = turn::apply_entries(
      {entry("no-such-option", "1", "a.conf:3"), entry("realm", "r.org", "a.conf:4")}, {},
      warnings);
  CHECK(c.realm == "r.org");
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], "a.conf:3"));
  CHECK(contains(warnings[0], "no-such-option"));

  // A coturn option turnd does not act on yet warns differently, still naming file:line.
  warnings.clear();
  turn::apply_entries({entry("check-origin-consistency", "", "a.conf:9")}, {}, warnings);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], "a.conf:9"));
  CHECK(contains(warnings[0], "check-origin-consistency"));
  CHECK(contains(warnings[0], "not acted on"));
}

TEST_CASE("config: an unknown option on the command line is an error") {
  const std::string what = error_of({}, {entry("no-such-option", "", "command line")});
  CHECK(contains(what, "no-such-option"));
  CHECK(contains(what, "command line"));
}

TEST_CASE("config: min-port above max-port is an error") {
  const std::string what =
      error_of({entry("min-port", "60000", "p.conf:5"), entry("max-port", "50000", "p.conf:6")});
  CHECK(contains(what, "min-port"));
  CHECK(contains(what, "max-port"));
  CHECK(contains(what, "p.conf:5"));
  CHECK(contains(what, "p.conf:6"));

  CHECK(error_of({entry("min-port", "50000"), entry("max-port", "50000")}).empty());
}

TEST_CASE("config: values land in the right fields") {
  const auto c = apply({entry("listening-port", "3479"),
                        entry("listening-ip", "127.0.0.1"),
                        entry("listening-ip", "::1"),
                        entry("relay-ip", "127.0.0.1"),
                        entry("external-ip", "203.0.113.5/10.0.0.5"),
                        entry("min-port", "50000"),
                        entry("max-port", "50100"),
                        entry("relay-threads", "3"),
                        entry("realm", "example.org"),
                        entry("user", "alice:secret"),
                        entry("user", "bob:0x0123456789abcdef0123456789abcdef"),
                        entry("stale-nonce", "30"),
                        entry("max-allocate-lifetime", "120"),
                        entry("channel-lifetime", "60"),
                        entry("permission-lifetime", "30"),
                        entry("user-quota", "2"),
                        entry("total-quota", "10"),
                        entry("allowed-peer-ip", "10.0.0.0/8"),
                        entry("denied-peer-ip", "8.8.8.1-8.8.8.9"),
                        entry("no-stun"),
                        entry("software-attribute")});
  CHECK(c.listening_port == 3479);
  REQUIRE(c.listening_ips.size() == 2);
  CHECK(c.listening_ips[0].to_string() == "127.0.0.1:0");
  CHECK(c.listening_ips[1].is_v6());
  REQUIRE(c.relay_ips.size() == 1);
  REQUIRE(c.external_ips.size() == 1);
  CHECK(c.external_ips[0].public_ip.ip_string() == "203.0.113.5");
  REQUIRE(c.external_ips[0].private_ip);
  CHECK(c.external_ips[0].private_ip->ip_string() == "10.0.0.5");
  CHECK(c.min_port == 50000);
  CHECK(c.max_port == 50100);
  CHECK(c.relay_threads == 3);
  CHECK(c.realm == "example.org");
  REQUIRE(c.users.size() == 2);
  CHECK(c.users[0].name == "alice");
  CHECK(c.users[0].secret == "secret");
  CHECK(c.users[1].secret == "0x0123456789abcdef0123456789abcdef");
  CHECK(c.stale_nonce == 30);
  CHECK(c.max_allocate_lifetime == 120);
  CHECK(c.channel_lifetime == 60);
  CHECK(c.permission_lifetime == 30);
  CHECK(c.user_quota == 2);
  CHECK(c.total_quota == 10);
  REQUIRE(c.allowed_peer_ips.size() == 1);
  CHECK(c.allowed_peer_ips[0].contains(*stun::SocketAddress::parse_ip("10.200.0.1")));
  REQUIRE(c.denied_peer_ips.size() == 1);
  CHECK(c.denied_peer_ips[0].contains(*stun::SocketAddress::parse_ip("8.8.8.5")));
  CHECK_FALSE(c.denied_peer_ips[0].contains(*stun::SocketAddress::parse_ip("8.8.8.10")));
  CHECK(c.no_stun);
  CHECK(c.software_attribute);
  CHECK(apply({entry("stale-nonce")}).stale_nonce == 600);
}

TEST_CASE("config: the command line wins; its repeatable options replace the file's") {
  const auto c = apply({entry("listening-port", "3478"), entry("listening-ip", "10.0.0.1"),
                        entry("listening-ip", "10.0.0.2"), entry("user", "alice:a")},
                       {entry("listening-port", "3479", "command line"),
                        entry("listening-ip", "127.0.0.1", "command line")});
  CHECK(c.listening_port == 3479);
  REQUIRE(c.listening_ips.size() == 1);
  CHECK(c.listening_ips[0].ip_string() == "127.0.0.1");
  CHECK(c.users.size() == 1);  // not given on the command line: the file's stay
}

TEST_CASE("config: no-auth alone turns authentication off; with lt-cred-mech it is an error") {
  // coturn: lt-cred-mech is only a default; -a and -z given together are refused.
  CHECK(apply({entry("no-auth")}).no_auth);
  const std::string both =
      error_of({entry("lt-cred-mech", "", "a.conf:1"), entry("no-auth", "", "a.conf:2")});
  CHECK(contains(both, "a.conf:1"));
  CHECK(contains(both, "a.conf:2"));
  CHECK_FALSE(error_of({entry("no-auth")}, {entry("lt-cred-mech", "", "command line")}).empty());
  CHECK(apply({entry("lt-cred-mech")}).lt_cred_mech);
  CHECK_FALSE(apply({entry("lt-cred-mech")}).no_auth);
  CHECK(apply({}).lt_cred_mech);
  CHECK_FALSE(apply({}).no_auth);
}

TEST_CASE("config file: read with file:line origins") {
  TempFile f(
      "# turnd test configuration\n"
      "\n"
      "listening-port=3480\n"
      "\trealm\texample.net\n"
      "fingerprint\n"
      "bogus-option = 1\n"
      "min-port 50000\n");
  std::vector<std::string> warnings;
  const auto entries = turn::read_config_file(f.path, warnings);
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].origin == f.path + ":3");
  CHECK(entries[1].name == "realm");
  CHECK(entries[1].value == "example.net");
  CHECK(entries[3].origin == f.path + ":6");
  const auto c = turn::apply_entries(entries, {}, warnings);
  CHECK(c.listening_port == 3480);
  CHECK(c.realm == "example.net");
  CHECK(c.fingerprint);
  CHECK(c.min_port == 50000);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], f.path + ":6"));
  CHECK(contains(warnings[0], "bogus-option"));
}

TEST_CASE("config file: a bad value in a file names the file and line") {
  TempFile f("realm=x\n\nmax-port=99999\n");
  std::vector<std::string> warnings;
  const auto entries = turn::read_config_file(f.path, warnings);
  try {
    turn::apply_entries(entries, {}, warnings);
    FAIL("no ConfigError");
  } catch (const ConfigError& e) {
    CHECK(contains(e.what(), f.path + ":3"));
    CHECK(contains(e.what(), "max-port"));
  }
}

TEST_CASE("config file: an unreadable file is a ConfigError naming it") {
  std::vector<std::string> warnings;
  try {
    turn::read_config_file("/nonexistent/turnserver.conf", warnings);
    FAIL("no ConfigError");
  } catch (const ConfigError& e) {
    CHECK(contains(e.what(), "/nonexistent/turnserver.conf"));
  }
}

TEST_CASE("config: the embedded default configuration parses cleanly") {
  std::vector<ConfigEntry> entries;
  std::vector<std::string> warnings;
  std::string_view text = turn::embedded_default_config();
  int n = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    ConfigEntry e;
    if (turn::parse_config_line(text.substr(0, nl), "embedded:" + std::to_string(++n), e,
                                warnings)) {
      entries.push_back(e);
    }
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  const auto c = turn::apply_entries(entries, {}, warnings);
  CHECK(warnings.empty());
  CHECK(c.listening_port == 3478);
  CHECK(c.realm == "turnd");
  CHECK(c.min_port == 49152);
  CHECK(c.max_port == 65535);
}

TEST_CASE("config: known_options() covers the table and coturn's legacy names") {
  const auto options = turn::known_options();
  auto find = [&](std::string_view name) -> const turn::OptionInfo* {
    for (const auto& o : options) {
      if (o.name == name)
        return &o;
    }
    return nullptr;
  };
  REQUIRE(find("listening-port"));
  CHECK(find("listening-port")->short_name == 'p');
  CHECK(find("listening-port")->takes_value);
  REQUIRE(find("fingerprint"));
  CHECK_FALSE(find("fingerprint")->takes_value);
  CHECK(find("no-tls"));
  CHECK_FALSE(find("no-such-option"));
  // coturn's short names (coturn's README.turnserver, `turnserver -h`); the TLS options have none.
  REQUIRE(find("allocation-default-address-family"));
  CHECK(find("allocation-default-address-family")->short_name == 'A');
  CHECK(find("allocation-default-address-family")->takes_value);
  REQUIRE(find("keep-address-family"));
  CHECK(find("keep-address-family")->short_name == 'K');
  CHECK_FALSE(find("keep-address-family")->takes_value);
  for (const char* name : {"tls-listening-port", "cert", "pkey", "pkey-pwd", "CA-file", "dtls"}) {
    CAPTURE(name);
    REQUIRE(find(name));
    CHECK(find(name)->short_name == 0);
  }
  // Each name once: a legacy entry left beside a real option would register it twice.
  for (const auto& o : options) {
    CAPTURE(o.name);
    int count = 0;
    for (const auto& other : options)
      count += other.name == o.name ? 1 : 0;
    CHECK(count == 1);
  }
}

TEST_CASE("config: listener, TLS and relay-family options from a file, without warnings") {
  TempFile f(
      "tls-listening-port=5350\n"
      "alt-listening-port=3479\n"
      "alt-tls-listening-port=5351\n"
      "no-tcp\n"
      "no-tls\n"
      "dtls\n"
      "cert=/etc/turnd/pexip.pem\n"
      "pkey=/etc/turnd/key.pem\n"
      "pkey-pwd=\"s3cret pass\"\n"
      "cipher-list=ECDHE+AESGCM:!aNULL\n"
      "ec-curve-name=prime256v1\n"
      "dh-file=/etc/turnd/dh2048.pem\n"
      "CA-file=/etc/turnd/clients-ca.pem\n"
      "tlsv1\n"
      "tlsv1_1=on\n"
      "no-tlsv1_2\n"
      "no-tcp-relay\n"
      "allocation-default-address-family=ipv6\n");
  std::vector<std::string> warnings;
  const auto c = turn::apply_entries(turn::read_config_file(f.path, warnings), {}, warnings);
  CHECK(warnings.empty());
  CHECK(c.tls_listening_port == 5350);
  CHECK(c.alt_listening_port == 3479);
  CHECK(c.alt_tls_listening_port == 5351);
  CHECK(c.no_tcp);
  CHECK(c.no_tls);
  CHECK(c.dtls);
  CHECK(c.cert == "/etc/turnd/pexip.pem");
  CHECK(c.pkey == "/etc/turnd/key.pem");
  CHECK(c.pkey_pwd == "s3cret pass");
  CHECK(c.cipher_list == "ECDHE+AESGCM:!aNULL");
  CHECK(c.ec_curve_name == "prime256v1");
  CHECK(c.dh_file == "/etc/turnd/dh2048.pem");
  CHECK(c.ca_file == "/etc/turnd/clients-ca.pem");
  CHECK(c.tlsv1);
  CHECK(c.tlsv1_1);
  CHECK(c.no_tlsv1_2);
  CHECK(c.no_tcp_relay);
  CHECK(c.allocation_default_address_family == turn::Config::AddressFamilyDefault::kIpv6);
  CHECK(c.origin_of("cert") == f.path + ":7");
  CHECK(c.origin_of("pkey-pwd") == f.path + ":9");
}

TEST_CASE("config: listener, TLS and relay-family defaults") {
  const auto c = apply({});
  CHECK(c.tls_listening_port == 5349);
  CHECK(c.alt_listening_port == 0);
  CHECK(c.alt_tls_listening_port == 0);
  CHECK_FALSE(c.no_tcp);
  CHECK_FALSE(c.no_tls);
  CHECK_FALSE(c.dtls);    // coturn 4.17: DTLS is opt-in
  CHECK(c.cert.empty());  // no TLS, unlike coturn's turn_server_cert.pem default
  CHECK(c.pkey.empty());
  CHECK_FALSE(c.tlsv1);
  CHECK_FALSE(c.tlsv1_1);
  CHECK_FALSE(c.no_tlsv1_2);
  CHECK_FALSE(c.no_tcp_relay);
  CHECK(c.allocation_default_address_family == turn::Config::AddressFamilyDefault::kIpv4);
}

TEST_CASE("config: listener, TLS and relay-family options from the command line") {
  auto cli = [](const std::string& name, const std::string& value = "") {
    return entry(name, value, "command line");
  };
  std::vector<std::string> warnings;
  const auto c = turn::apply_entries(
      {entry("tls-listening-port", "5350"), entry("cert", "/file.pem")},
      {cli("tls-listening-port", "443"), cli("alt-listening-port", "3479"),
       cli("alt-tls-listening-port", "5350"), cli("no-tcp"), cli("no-tls"), cli("dtls"),
       cli("cert", "/cli.pem"), cli("pkey", "/cli.key"), cli("pkey-pwd", "pw"),
       cli("cipher-list", "HIGH"), cli("ec-curve-name", "secp384r1"), cli("dh-file", "/dh.pem"),
       cli("CA-file", "/ca.pem"), cli("tlsv1"), cli("tlsv1_1"), cli("no-tlsv1_2"),
       cli("no-tcp-relay"), cli("allocation-default-address-family", "keep")},
      warnings);
  CHECK(warnings.empty());
  CHECK(c.tls_listening_port == 443);  // the command line wins
  CHECK(c.origin_of("tls-listening-port") == "command line");
  CHECK(c.alt_listening_port == 3479);
  CHECK(c.alt_tls_listening_port == 5350);
  CHECK(c.no_tcp);
  CHECK(c.no_tls);
  CHECK(c.dtls);
  CHECK(c.cert == "/cli.pem");
  CHECK(c.pkey == "/cli.key");
  CHECK(c.pkey_pwd == "pw");
  CHECK(c.cipher_list == "HIGH");
  CHECK(c.ec_curve_name == "secp384r1");
  CHECK(c.dh_file == "/dh.pem");
  CHECK(c.ca_file == "/ca.pem");
  CHECK(c.tlsv1);
  CHECK(c.tlsv1_1);
  CHECK(c.no_tlsv1_2);
  CHECK(c.no_tcp_relay);
  CHECK(c.allocation_default_address_family == turn::Config::AddressFamilyDefault::kKeep);
}

TEST_CASE("config: dtls / no-dtls, keep-address-family, and coturn 4.6's no-tlsv1 names") {
  using Family = turn::Config::AddressFamilyDefault;
  CHECK(apply({entry("dtls")}).dtls);
  CHECK_FALSE(apply({entry("dtls"), entry("no-dtls")}).dtls);
  CHECK(apply({entry("no-dtls", "off")}).dtls);
  CHECK(apply({entry("no-dtls"), entry("dtls", "", "command line")}).dtls);

  CHECK(apply({entry("keep-address-family")}).allocation_default_address_family == Family::kKeep);
  CHECK(apply({entry("allocation-default-address-family", "IPv6")})
            .allocation_default_address_family == Family::kIpv6);
  CHECK(apply({entry("keep-address-family"), entry("keep-address-family", "off")})
            .allocation_default_address_family == Family::kIpv4);
  CHECK(apply({entry("allocation-default-address-family", "ipv6"),
               entry("keep-address-family", "off")})
            .allocation_default_address_family == Family::kIpv6);

  // 4.6's no-tlsv1 / no-tlsv1_1 ask for turnd's default; =off re-enables like 4.6's default.
  std::vector<std::string> warnings;
  const auto c = turn::apply_entries({entry("no-tlsv1"), entry("no-tlsv1_1")}, {}, warnings);
  CHECK(warnings.empty());
  CHECK_FALSE(c.tlsv1);
  CHECK_FALSE(c.tlsv1_1);
  CHECK_FALSE(apply({entry("tlsv1"), entry("no-tlsv1")}).tlsv1);
  CHECK(apply({entry("no-tlsv1_1", "off")}).tlsv1_1);
  CHECK(apply({entry("no-tlsv1_2")}).no_tlsv1_2);
}

TEST_CASE("config: bad listener, TLS and relay-family values name file:line and the option") {
  TempFile f(
      "realm=x\n"
      "allocation-default-address-family=foo\n");
  std::vector<std::string> warnings;
  try {
    turn::apply_entries(turn::read_config_file(f.path, warnings), {}, warnings);
    FAIL("no ConfigError");
  } catch (const ConfigError& e) {
    CHECK(contains(e.what(), f.path + ":2"));
    CHECK(contains(e.what(), "allocation-default-address-family"));
    CHECK(contains(e.what(), "foo"));
  }
  struct Bad {
    const char* name;
    const char* value;
  };
  for (const Bad b : {Bad{"tls-listening-port", "abc"}, Bad{"tls-listening-port", "65536"},
                      Bad{"alt-listening-port", "34x"}, Bad{"alt-tls-listening-port", "-1"},
                      Bad{"allocation-default-address-family", "ipv5"},
                      Bad{"allocation-default-address-family", ""}, Bad{"dtls", "maybe"},
                      Bad{"no-dtls", "sometimes"}, Bad{"tlsv1", "perhaps"}, Bad{"cert", ""},
                      Bad{"pkey-pwd", ""}, Bad{"keep-address-family", "dunno"}}) {
    CAPTURE(b.name);
    CAPTURE(b.value);
    const std::string what = error_of({entry(b.name, b.value, "site.conf:42")});
    CHECK(contains(what, "site.conf:42"));
    CHECK(contains(what, b.name));
  }
}

TEST_CASE("config: listener ports must differ; 0 means none; TLS ports count only with cert") {
  const std::string what =
      error_of({entry("listening-port", "5349", "p.conf:1"), entry("cert", "/c.pem", "p.conf:2")});
  CHECK(contains(what, "tls-listening-port"));
  CHECK(contains(what, "listening-port"));
  CHECK(contains(what, "p.conf:1"));
  CHECK(contains(what, "5349"));
  // Without a certificate there is no TLS listener to collide with.
  CHECK(error_of({entry("listening-port", "5349")}).empty());
  CHECK(error_of({entry("listening-port", "5349"), entry("cert", "/c.pem"),
                  entry("tls-listening-port", "0")})
            .empty());
  CHECK_FALSE(error_of({entry("alt-listening-port", "3478", "p.conf:3")}).empty());
  CHECK(contains(error_of({entry("alt-listening-port", "3478", "p.conf:3")}), "p.conf:3"));
  CHECK_FALSE(error_of({entry("cert", "/c.pem"), entry("alt-tls-listening-port", "5349")}).empty());
  CHECK(error_of({entry("cert", "/c.pem"), entry("alt-listening-port", "0"),
                  entry("alt-tls-listening-port", "0")})
            .empty());
}

TEST_CASE("config: coturn 4.6 TLS names that remain accepted say what turnd does instead") {
  std::vector<std::string> warnings;
  turn::apply_entries({entry("no-sslv3", "", "a.conf:1"), entry("dh1066", "", "a.conf:2")}, {},
                      warnings);
  REQUIRE(warnings.size() == 2);
  CHECK(contains(warnings[0], "a.conf:1"));
  CHECK(contains(warnings[0], "never offers SSLv2 or SSLv3"));
  CHECK(contains(warnings[1], "a.conf:2"));
  CHECK(contains(warnings[1], "dh-file"));
}

TEST_CASE("config: STUN behaviour options, max-allocate-timeout and the RFC 5780 notes") {
  std::vector<std::string> warnings;
  auto c = turn::apply_entries(
      {entry("secure-stun"), entry("log-binding"), entry("stun-backward-compatibility"),
       entry("max-allocate-timeout", "30")},
      {}, warnings);
  CHECK(warnings.empty());
  CHECK(c.secure_stun);
  CHECK(c.log_binding);
  CHECK(c.stun_backward_compatibility);
  CHECK(c.max_allocate_timeout == 30);
  // Defaults: coturn 4.7+ (classic STUN off), coturn's 60 s.
  const turn::Config d;
  CHECK_FALSE(d.stun_backward_compatibility);
  CHECK_FALSE(d.secure_stun);
  CHECK(d.max_allocate_timeout == 60);
  // coturn 4.6's name turns it off again.
  c = turn::apply_entries(
      {entry("stun-backward-compatibility"), entry("no-stun-backward-compatibility")}, {},
      warnings);
  CHECK_FALSE(c.stun_backward_compatibility);
  CHECK(warnings.empty());
  // Names turnd accepts without acting on them say why, naming file:line.
  warnings.clear();
  turn::apply_entries({entry("no-rfc5780"), entry("rfc5780"), entry("server-name", "turn")}, {},
                      warnings);
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[0].find("RFC 5780") != std::string::npos);
  CHECK(warnings[1].find("not supported") != std::string::npos);
  CHECK(warnings[2].find("oAuth") != std::string::npos);
  CHECK_THROWS_AS(turn::apply_entries({entry("max-allocate-timeout", "0")}, {}, warnings),
                  turn::ConfigError);
}

TEST_CASE("config: prometheus options (coturn's names and defaults); prometheus-tls warns") {
  const turn::Config d;
  CHECK_FALSE(d.prometheus);
  CHECK(d.prometheus_port == 9641);
  CHECK(d.prometheus_address.ip_string() == "0.0.0.0");
  CHECK(d.prometheus_path == "/metrics");
  CHECK_FALSE(d.prometheus_username_labels);

  std::vector<std::string> warnings;
  const auto c =
      turn::apply_entries({entry("prometheus"), entry("prometheus-port", "9100"),
                           entry("prometheus-address", "127.0.0.1"),
                           entry("prometheus-path", "/stats"), entry("prometheus-username-labels")},
                          {}, warnings);
  CHECK(warnings.empty());
  CHECK(c.prometheus);
  CHECK(c.prometheus_port == 9100);
  CHECK(c.prometheus_address.ip_string() == "127.0.0.1");
  CHECK(c.prometheus_path == "/stats");
  CHECK(c.prometheus_username_labels);
  CHECK(apply({entry("prometheus-address", "::1")}).prometheus_address.ip_string() == "::1");
  CHECK_FALSE(apply({entry("prometheus", "off")}).prometheus);

  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"prometheus-port", "0"},
                                                        {"prometheus-port", "70000"},
                                                        {"prometheus-port", "web"},
                                                        {"prometheus-address", "localhost"},
                                                        {"prometheus-address", "1.2.3"},
                                                        {"prometheus-path", "metrics"},
                                                        {"prometheus", "maybe"}}) {
    CAPTURE(name);
    CAPTURE(value);
    const std::string what = error_of({entry(name, value, "site.conf:9")});
    CHECK(contains(what, "site.conf:9"));
    CHECK(contains(what, name));
  }

  // TLS for the metrics is not implemented: accepted, with a warning that says what to do.
  warnings.clear();
  turn::apply_entries(
      {entry("prometheus-tls", "", "m.conf:1"), entry("prometheus-cert", "/etc/c.pem", "m.conf:2"),
       entry("prometheus-key", "/etc/k.pem", "m.conf:3")},
      {}, warnings);
  REQUIRE(warnings.size() == 3);
  for (const auto& w : warnings) {
    CAPTURE(w);
    CHECK(contains(w, "plain HTTP; put a TLS proxy in front"));
  }
  CHECK(contains(warnings[0], "m.conf:1"));
  CHECK(contains(warnings[0], "prometheus-tls"));
}

TEST_CASE("config file: the admin API off loopback needs cli-password (issue 15)") {
  TempFile f("realm=x\ncli-ip=0.0.0.0\ncli-port=5766\n");
  std::vector<std::string> warnings;
  const auto entries = turn::read_config_file(f.path, warnings);
  try {
    turn::apply_entries(entries, {}, warnings);
    FAIL("no ConfigError");
  } catch (const ConfigError& e) {
    CHECK(contains(e.what(), f.path + ":2"));
    CHECK(contains(e.what(), "cli-ip"));
    CHECK(contains(e.what(), "cli-password"));
  }
  // With a password, or with no-cli, or on loopback, it loads.
  TempFile with_password("cli-ip=0.0.0.0\ncli-password=s3cret\n");
  CHECK_NOTHROW(
      turn::apply_entries(turn::read_config_file(with_password.path, warnings), {}, warnings));
  TempFile off("cli-ip=0.0.0.0\nno-cli\n");
  CHECK_NOTHROW(turn::apply_entries(turn::read_config_file(off.path, warnings), {}, warnings));
  CHECK(error_of({}, {{"cli-ip", "127.0.0.2", true, "command line"}}).empty());
}
