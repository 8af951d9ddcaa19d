#include "alloc/session_info.hpp"

#include <algorithm>
#include <charconv>

namespace turn {

std::string session_id(unsigned worker, std::uint64_t serial) {
  return std::to_string(worker) + "." + std::to_string(serial);
}

bool parse_session_id(const std::string& id, unsigned& worker, std::uint64_t& serial) {
  const auto dot = id.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == id.size())
    return false;
  const char* end = id.data() + id.size();
  auto w = std::from_chars(id.data(), id.data() + dot, worker);
  auto s = std::from_chars(id.data() + dot + 1, end, serial);
  return w.ec == std::errc{} && w.ptr == id.data() + dot && s.ec == std::errc{} && s.ptr == end;
}

SessionInfo describe_session(const Allocation& a, unsigned worker, const std::string& realm,
                             std::uint64_t now_ms) {
  SessionInfo s;
  s.id = session_id(worker, a.serial);
  s.worker = worker;
  s.client = a.key.client.to_string();
  s.transport = client_transport_name(a.transport);
  s.user = a.user;
  s.realm = realm;
  s.relays.push_back(a.advertised.to_string());
  if (a.dual())
    s.relays.push_back(a.second_advertised.to_string());
  s.tcp_relay = a.tcp;
  s.age_s = now_ms > a.created_ms ? (now_ms - a.created_ms) / 1000 : 0;
  s.lifetime_left_s = a.expires_ms > now_ms ? (a.expires_ms - now_ms + 999) / 1000 : 0;
  s.traffic = a.traffic;
  for (const auto& [ip, expires] : a.permissions) {
    if (expires > now_ms)
      s.permissions.push_back(ip.address().ip_string());
  }
  std::sort(s.permissions.begin(), s.permissions.end());
  for (const auto& [number, c] : a.channels) {
    if (c.expires_ms > now_ms)
      s.channels.push_back({number, c.peer.to_string()});
  }
  std::sort(s.channels.begin(), s.channels.end(),
            [](const SessionInfo::Channel& x, const SessionInfo::Channel& y) {
              return x.number < y.number;
            });
  return s;
}

}  // namespace turn
