// `turnd --check-config` output: masked secrets, and lines that read back as the same settings.
#include <doctest/doctest.h>

#include <sstream>

#include "config/config_loader.hpp"
#include "config/config_printer.hpp"

namespace {

turn::Config from_lines(const std::string& text) {
  std::vector<std::string> warnings;
  std::vector<turn::ConfigEntry> entries;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    turn::ConfigEntry e;
    if (turn::parse_config_line(line, "printed:" + std::to_string(n), e, warnings)) {
      entries.push_back(e);
    }
  }
  return turn::apply_entries(entries, {}, warnings);
}

}  // namespace

TEST_CASE("describe_config masks passwords and secrets") {
  const turn::Config c = from_lines(
      "realm=example.org\nuser=alice:topsecret\nuser=bob:0xbc807ee29df3c9ffa736523fb2c4e8ee\n"
      "static-auth-secret=hush\n");
  const std::string out = turn::describe_config(c);
  CHECK(out.find("topsecret") == std::string::npos);
  CHECK(out.find("bc807ee29df3") == std::string::npos);
  CHECK(out.find("hush") == std::string::npos);
  CHECK(out.find("user=alice:***") != std::string::npos);
  CHECK(out.find("static-auth-secret=***") != std::string::npos);
}

TEST_CASE("describe_config output reads back as the same configuration") {
  const turn::Config c = from_lines(
      "listening-port=3479\nlistening-ip=192.0.2.1\nrelay-ip=198.51.100.2\n"
      "external-ip=203.0.113.7/10.0.0.7\nmin-port=50000\nmax-port=50100\nrelay-threads=3\n"
      "realm=example.org\nstale-nonce=300\nmax-allocate-lifetime=1200\nchannel-lifetime=500\n"
      "permission-lifetime=200\nuser-quota=4\ntotal-quota=90\nmax-bps=64000\n"
      "allowed-peer-ip=10.0.0.0/8\ndenied-peer-ip=203.0.113.5\nfingerprint\n"
      "software-attribute\nrfc5766-channel-numbers=off\nsimple-log\nlog-min-level=warning\n");
  const turn::Config back = from_lines(turn::describe_config(c));
  CHECK(back.listening_port == c.listening_port);
  CHECK(back.listening_ips == c.listening_ips);
  CHECK(back.relay_ips == c.relay_ips);
  REQUIRE(back.external_ips.size() == 1);
  CHECK(back.external_ips[0].public_ip == c.external_ips[0].public_ip);
  CHECK(back.external_ips[0].private_ip == c.external_ips[0].private_ip);
  CHECK(back.min_port == 50000);
  CHECK(back.max_port == 50100);
  CHECK(back.relay_threads == 3);
  CHECK(back.realm == "example.org");
  CHECK(back.stale_nonce == 300);
  CHECK(back.max_allocate_lifetime == 1200);
  CHECK(back.channel_lifetime == 500);
  CHECK(back.permission_lifetime == 200);
  CHECK(back.user_quota == 4);
  CHECK(back.total_quota == 90);
  CHECK(back.max_bps == 64000);
  REQUIRE(back.allowed_peer_ips.size() == 1);
  CHECK(back.allowed_peer_ips[0].first == c.allowed_peer_ips[0].first);
  CHECK(back.allowed_peer_ips[0].last == c.allowed_peer_ips[0].last);
  REQUIRE(back.denied_peer_ips.size() == 1);
  CHECK(back.denied_peer_ips[0].first == c.denied_peer_ips[0].first);
  CHECK(back.fingerprint);
  CHECK(back.software_attribute);
  CHECK_FALSE(back.rfc5766_channel_numbers);
  CHECK(back.simple_log);
  CHECK(back.log_min_level == "warning");
}

TEST_CASE("describe_config masks pkey-pwd and prints the TLS and listener options") {
  const turn::Config c = from_lines(
      "cert=/etc/turnd/pexip.pem\npkey=/etc/turnd/key.pem\npkey-pwd=open sesame\n"
      "cipher-list=ECDHE+AESGCM\nec-curve-name=prime256v1\ndh-file=/etc/turnd/dh.pem\n"
      "CA-file=/etc/turnd/ca.pem\ntls-listening-port=443\nalt-listening-port=3479\n"
      "alt-tls-listening-port=5350\nno-tcp\nno-tls\ndtls\ntlsv1_1\nno-tlsv1_2\nno-tcp-relay\n"
      "allocation-default-address-family=keep\n");
  const std::string out = turn::describe_config(c);
  CHECK(out.find("open sesame") == std::string::npos);
  CHECK(out.find("pkey-pwd=***\n") != std::string::npos);

  const turn::Config back = from_lines(out);
  CHECK(back.cert == c.cert);
  CHECK(back.pkey == c.pkey);
  CHECK(back.pkey_pwd == "***");  // masked, as user passwords are
  CHECK(back.cipher_list == c.cipher_list);
  CHECK(back.ec_curve_name == c.ec_curve_name);
  CHECK(back.dh_file == c.dh_file);
  CHECK(back.ca_file == c.ca_file);
  CHECK(back.tls_listening_port == 443);
  CHECK(back.alt_listening_port == 3479);
  CHECK(back.alt_tls_listening_port == 5350);
  CHECK(back.no_tcp);
  CHECK(back.no_tls);
  CHECK(back.dtls);
  CHECK_FALSE(back.tlsv1);
  CHECK(back.tlsv1_1);
  CHECK(back.no_tlsv1_2);
  CHECK(back.no_tcp_relay);
  CHECK(back.allocation_default_address_family == turn::Config::AddressFamilyDefault::kKeep);
}

TEST_CASE("describe_config without a certificate says there is no TLS") {
  const std::string out = turn::describe_config(from_lines("realm=example.org\n"));
  CHECK(out.find("# cert: none") != std::string::npos);
  CHECK(out.find("\ncert=") == std::string::npos);
  CHECK(out.find("pkey-pwd") == std::string::npos);
  CHECK(out.find("dtls=off\n") != std::string::npos);
  CHECK(out.find("allocation-default-address-family=ipv4\n") != std::string::npos);
  CHECK(turn::describe_config(from_lines(out)) == out);  // a fixed point
}

TEST_CASE("describe_config: the bounds and defences read back as set") {
  const turn::Config c = from_lines(
      "max-allocation-permissions=7\nmax-allocation-channels=6\nmax-tcp-peer-connections=5\n"
      "max-connections-per-source=44\nmax-connections=4000\nunauthorized-ratelimit=off\n"
      "unauthorized-ratelimit-rps=3\nrequest-ratelimit-rps=0\nauth-ban=off\n"
      "auth-ban-maxretry=4\nauth-ban-findtime=120\nauth-ban-bantime=900\n"
      "auth-ban-ignoreip=192.0.2.0/24\nauth-ban-ignoreip=2001:db8::1\n");
  const turn::Config back = from_lines(turn::describe_config(c));
  CHECK(back.max_allocation_permissions == 7);
  CHECK(back.max_allocation_channels == 6);
  CHECK(back.max_tcp_peer_connections == 5);
  CHECK(back.max_connections_per_source == 44);
  CHECK(back.max_connections == 4000);
  CHECK_FALSE(back.unauthorized_ratelimit);
  CHECK(back.unauthorized_ratelimit_rps == 3);
  CHECK(back.request_ratelimit_rps == 0);
  CHECK_FALSE(back.auth_ban);
  CHECK(back.auth_ban_maxretry == 4);
  CHECK(back.auth_ban_findtime == 120);
  CHECK(back.auth_ban_bantime == 900);
  REQUIRE(back.auth_ban_ignoreip.size() == 2);
  CHECK(back.auth_ban_ignoreip[0].first == c.auth_ban_ignoreip[0].first);
  CHECK(back.auth_ban_ignoreip[1].last == c.auth_ban_ignoreip[1].last);
}

TEST_CASE("the defences are on by default, with coturn's and fail2ban's numbers") {
  const turn::Config c = from_lines("");
  CHECK(c.unauthorized_ratelimit);
  CHECK(c.unauthorized_ratelimit_rps == 10);  // coturn 4.14's default rate
  CHECK(c.auth_ban);
  CHECK(c.auth_ban_maxretry == 10);  // fail2ban's jail defaults, as the appliance's
  CHECK(c.auth_ban_findtime == 300);
  CHECK(c.auth_ban_bantime == 300);
  CHECK(c.request_ratelimit_rps == 200);
  CHECK(c.max_allocation_permissions == 128);
  CHECK(c.max_allocation_channels == 128);
  CHECK(c.max_tcp_peer_connections == 32);
  CHECK(c.max_connections_per_source == 1000);
}
