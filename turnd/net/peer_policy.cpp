#include "net/peer_policy.hpp"

#include <algorithm>

namespace turn {
namespace {

AddressRange range(const char* text) {
  return *AddressRange::parse(text);
}

/// IANA special-purpose registries (RFC 6890 and successors) plus private, shared and multicast
/// space: nothing a media relay should reach on behalf of an internet client.
std::vector<AddressRange> builtin_denied() {
  std::vector<AddressRange> r;
  for (const char* cidr :
       {"0.0.0.0/8",       "10.0.0.0/8",     "100.64.0.0/10",  "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24",    "192.0.2.0/24",   "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",    "::/128",
        "64:ff9b::/96",    "64:ff9b:1::/48", "100::/64",       "2001::/32",      "2001:db8::/32",
        "2002::/16",       "fc00::/7",       "fe80::/10",      "ff00::/8"}) {
    r.push_back(range(cidr));
  }
  return r;
}

bool in_any(const std::vector<AddressRange>& ranges, const stun::SocketAddress& ip) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const AddressRange& r) { return r.contains(ip); });
}

}  // namespace

PeerPolicy::PeerPolicy(const Config& config, std::vector<stun::SocketAddress> own_relays,
                       std::vector<stun::SocketAddress> own_listeners)
    : allowed_(config.allowed_peer_ips),
      denied_(config.denied_peer_ips),
      builtin_denied_(builtin_denied()),
      loopback_{range("127.0.0.0/8"), range("::1/128")},
      allow_loopback_(config.allow_loopback_peers),
      min_relay_port_(config.min_port),
      max_relay_port_(config.max_port),
      own_relays_(std::move(own_relays)),
      own_listeners_(std::move(own_listeners)) {}

bool PeerPolicy::allowed(const stun::SocketAddress& raw_peer) const {
  // Canonicalise first: ::ffff:127.0.0.1 and ::127.0.0.1 are 127.0.0.1 (CVE-2026-27624).
  const stun::SocketAddress peer = raw_peer.unmapped();
  for (const auto& l : own_listeners_) {
    if (l.port == peer.port && (l.same_ip(peer) || l.unmapped().same_ip(peer)))
      return false;
  }
  // Another allocation's relay address (ours, or our external alias) is always reachable, so two
  // clients of this server can talk; only relay ports count, or listening on 127.0.0.1 would
  // open every loopback service.
  if (peer.port >= min_relay_port_ && peer.port <= max_relay_port_) {
    for (const auto& own : own_relays_) {
      if (own.same_ip(peer))
        return true;
    }
  }
  if (in_any(allowed_, peer))
    return true;  // coturn: allowed-peer-ip wins over denied-peer-ip
  if (in_any(denied_, peer))
    return false;
  if (in_any(loopback_, peer))
    return allow_loopback_;
  return !in_any(builtin_denied_, peer);
}

std::vector<std::string> PeerPolicy::describe() const {
  std::vector<std::string> lines;
  for (const auto& r : allowed_) {
    lines.push_back("allow " + r.first.ip_string() + "-" + r.last.ip_string());
  }
  for (const auto& r : denied_) {
    lines.push_back("deny " + r.first.ip_string() + "-" + r.last.ip_string());
  }
  lines.push_back(std::string(allow_loopback_ ? "allow" : "deny") + " loopback");
  lines.push_back("deny " + std::to_string(builtin_denied_.size()) +
                  " special-purpose/private/multicast ranges (RFC 6890)");
  for (const auto& own : own_relays_) {
    lines.push_back("allow own relay " + own.ip_string() + " ports " +
                    std::to_string(min_relay_port_) + "-" + std::to_string(max_relay_port_));
  }
  for (const auto& l : own_listeners_)
    lines.push_back("deny own listener " + l.to_string());
  return lines;
}

}  // namespace turn
