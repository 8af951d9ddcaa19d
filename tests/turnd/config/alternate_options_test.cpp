// alternate-server and friends (coturn's ALTERNATE-SERVER options, turnd's alternate-domain and
// alternate-server-mode): the forms coturn accepts, the default ports, and errors that name
// file:line and the option.
#include <doctest/doctest.h>

#include "config/table_fixtures.hpp"

using tabletest::error_of;
using tabletest::from_text;
using tabletest::TempFile;

TEST_CASE("alternate-server: IP, IP:port, [IPv6]:port and a bare IPv6, default ports") {
  const turn::Config c = from_text(
      "alternate-server=192.0.2.1\n"
      "alternate-server=192.0.2.2:3479\n"
      "alternate-server=[2001:db8::1]:3480\n"
      "alternate-server 2001:db8::2\n"
      "tls-alternate-server=192.0.2.3\n"
      "tls-alternate-server=[2001:db8::3]:443\n"
      "udp-alternate-server=192.0.2.4\n"
      "tcp-alternate-server=192.0.2.5:80\n");
  REQUIRE(c.alternate_servers.size() == 4);
  CHECK(c.alternate_servers[0].to_string() == "192.0.2.1:3478");
  CHECK(c.alternate_servers[1].to_string() == "192.0.2.2:3479");
  CHECK(c.alternate_servers[2].to_string() == "[2001:db8::1]:3480");
  CHECK(c.alternate_servers[3].to_string() == "[2001:db8::2]:3478");
  REQUIRE(c.tls_alternate_servers.size() == 2);
  CHECK(c.tls_alternate_servers[0].to_string() == "192.0.2.3:5349");  // coturn's TLS default
  CHECK(c.tls_alternate_servers[1].to_string() == "[2001:db8::3]:443");
  REQUIRE(c.udp_alternate_servers.size() == 1);
  CHECK(c.udp_alternate_servers[0].to_string() == "192.0.2.4:3478");
  REQUIRE(c.tcp_alternate_servers.size() == 1);
  CHECK(c.tcp_alternate_servers[0].to_string() == "192.0.2.5:80");
  CHECK(c.alternate_server_mode == turn::Config::AlternateMode::kAlways);
  CHECK(c.alternate_domain.empty());
}

TEST_CASE("alternate-domain and alternate-server-mode") {
  const turn::Config c =
      from_text("alternate-domain=turn.example.org\nalternate-server-mode=overflow\n");
  CHECK(c.alternate_domain == "turn.example.org");
  CHECK(c.alternate_server_mode == turn::Config::AlternateMode::kOverflow);
  CHECK(from_text("alternate-domain=*.example.org\n").alternate_domain == "*.example.org");
}

TEST_CASE("alternate options: a bad value stops the load naming file:line and the option") {
  struct Case {
    const char* text;
    const char* option;
  };
  for (const Case& bad : {
           Case{"# cluster\nalternate-server=turn2.example.org\n", "alternate-server"},
           Case{"# cluster\nalternate-server=192.0.2.1:0\n", "alternate-server"},
           Case{"# cluster\nalternate-server=192.0.2.1:70000\n", "alternate-server"},
           Case{"# cluster\nalternate-server=0.0.0.0:3478\n", "alternate-server"},
           Case{"# cluster\ntls-alternate-server=[::]:5349\n", "tls-alternate-server"},
           Case{"# cluster\nudp-alternate-server\n", "udp-alternate-server"},
           Case{"# cluster\ntcp-alternate-server=[2001:db8::1\n", "tcp-alternate-server"},
           Case{"# cluster\nalternate-domain=bad name\n", "alternate-domain"},
           Case{"# cluster\nalternate-domain=a..b\n", "alternate-domain"},
           Case{"# cluster\nalternate-server-mode=sometimes\n", "alternate-server-mode"},
       }) {
    CAPTURE(bad.text);
    TempFile file(bad.text);
    const std::string error = error_of(file);
    CHECK(error.find(file.path + ":2") != std::string::npos);
    CHECK(error.find(std::string("option '") + bad.option + "'") != std::string::npos);
  }
}

TEST_CASE("alternate options are live: SIGHUP hands new lists to the workers") {
  for (const char* name : {"alternate-server", "tls-alternate-server", "udp-alternate-server",
                           "tcp-alternate-server", "alternate-domain", "alternate-server-mode"}) {
    CAPTURE(name);
    const auto* o = turn::find_option(name);
    REQUIRE(o);
    CHECK(o->role == turn::Role::kSetting);
    CHECK(o->reload == turn::Reload::kLive);
  }
}
