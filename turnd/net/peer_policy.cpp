#include "net/peer_policy.hpp"

#include <algorithm>

#include "net/ip_key.hpp"

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

bool is_wildcard(const stun::SocketAddress& ip) {
  return IpKey::of(ip).is_wildcard();
}

}  // namespace

PeerPolicy::PeerPolicy(const Config& config, OwnAddresses own, const LiveRelays* live)
    : allowed_(config.allowed_peer_ips),
      denied_(config.denied_peer_ips),
      builtin_denied_(builtin_denied()),
      loopback_{range("127.0.0.0/8"), range("::1/128")},
      allow_loopback_(config.allow_loopback_peers),
      own_(std::move(own)),
      live_(live) {
  std::vector<stun::SocketAddress> unique;
  for (const auto& raw : own_.host_ips) {
    stun::SocketAddress ip = raw.unmapped();
    ip.port = 0;
    if (!is_wildcard(ip) && std::find(unique.begin(), unique.end(), ip) == unique.end())
      unique.push_back(ip);
  }
  own_.host_ips = std::move(unique);
}

bool PeerPolicy::is_own_ip(const stun::SocketAddress& ip) const {
  if (in_any(loopback_, ip))
    return true;
  for (const auto& h : own_.host_ips) {
    if (h.same_ip(ip))
      return true;
  }
  for (const auto& e : own_.external) {
    if (e.public_ip.unmapped().same_ip(ip))
      return true;
  }
  return false;
}

bool PeerPolicy::is_live_relay(const stun::SocketAddress& peer, RelayProtocol protocol) const {
  if (live_ == nullptr)
    return false;
  for (const auto& e : own_.external) {
    if (!e.public_ip.unmapped().same_ip(peer))
      continue;
    // PUBLIC/PRIVATE names the relay IP behind it; a bare PUBLIC stands for every relay of its
    // family (SharedState::advertised).
    if (e.private_ip)
      return live_->is_live(*e.private_ip, peer.port, protocol);
    return live_->is_live_of_family(peer.port, protocol, peer.family);
  }
  return live_->is_live(peer, peer.port, protocol);
}

PeerDecision PeerPolicy::decide(const stun::SocketAddress& raw_peer, RelayProtocol protocol) const {
  // Canonicalise first: ::ffff:127.0.0.1 and ::127.0.0.1 are 127.0.0.1 (CVE-2026-27624).
  const stun::SocketAddress peer = raw_peer.unmapped();
  // 0.0.0.0 and :: reach the host itself (CVE-2020-26262), whatever else is configured.
  if (is_wildcard(peer))
    return PeerDecision::kDenied;
  if (is_own_ip(peer)) {
    // This host's own addresses reach its own services: its listeners and metrics never, a
    // relay port only while it is a live allocation of ours (two clients of this server talk
    // through it), anything else only when the operator opened it on purpose: loopback with
    // allow-loopback-peers, another address by naming exactly it in allowed-peer-ip (a range
    // opened for the LAN must not open the relay host's own ssh).
    if (std::find(own_.service_ports.begin(), own_.service_ports.end(), peer.port) !=
        own_.service_ports.end()) {
      return PeerDecision::kDenied;
    }
    if (is_live_relay(peer, protocol))
      return PeerDecision::kOwnRelay;
    const bool named = std::any_of(allowed_.begin(), allowed_.end(), [&](const AddressRange& r) {
      return r.first.same_ip(peer) && r.last.same_ip(peer);
    });
    if (named)
      return PeerDecision::kAllowed;
    return in_any(loopback_, peer) && allow_loopback_ && !in_any(denied_, peer)
               ? PeerDecision::kAllowed
               : PeerDecision::kDenied;
  }
  if (in_any(allowed_, peer))
    return PeerDecision::kAllowed;  // coturn: allowed-peer-ip wins over denied-peer-ip
  if (in_any(denied_, peer) || in_any(builtin_denied_, peer))
    return PeerDecision::kDenied;
  return PeerDecision::kAllowed;
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
  std::string own = "this host (";
  for (std::size_t i = 0; i < own_.host_ips.size(); ++i)
    own += (i == 0 ? "" : " ") + own_.host_ips[i].ip_string();
  for (const auto& e : own_.external)
    own += " " + e.public_ip.ip_string();
  own += "): only live relay allocations of this server";
  std::string ports;
  for (auto p : own_.service_ports)
    ports += (ports.empty() ? "" : ",") + std::to_string(p);
  if (!ports.empty())
    own += ", never ports " + ports;
  lines.push_back(own);
  return lines;
}

}  // namespace turn
