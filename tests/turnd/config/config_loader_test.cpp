// coturn's turnserver.conf grammar and command line into a Config (unit).
#include "config/config_loader.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

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

/// A temporary file removed at scope exit.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/turnd-config-test-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path) << text;
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

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
  for (const Bad b :
       {Bad{"fingerprint", "maybe"}, Bad{"listening-port", "abc"}, Bad{"listening-port", "70000"},
        Bad{"listening-port", "0"}, Bad{"min-port", "-1"}, Bad{"listening-ip", "1.2.3"},
        Bad{"listening-ip", "example.org"}, Bad{"relay-threads", "1000"}, Bad{"user", "nocolon"},
        Bad{"user", "bob:0x1234"}, Bad{"allowed-peer-ip", "10.0.0.0/33"},
        Bad{"denied-peer-ip", "10.0.0.9-10.0.0.1"}, Bad{"external-ip", "1.2.3.4/::1"},
        Bad{"max-allocate-lifetime", "0"}, Bad{"stale-nonce", "x"}}) {
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
  turn::apply_entries({entry("no-tls", "", "a.conf:9")}, {}, warnings);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], "a.conf:9"));
  CHECK(contains(warnings[0], "no-tls"));
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
}
