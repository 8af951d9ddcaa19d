// What the admin API shows of one allocation: a copy taken on its worker's thread, so the
// admin threads read plain data, never the live allocation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alloc/allocation.hpp"

namespace turn {

struct SessionInfo {
  std::string id;  ///< "<worker>.<serial>"
  unsigned worker = 0;
  std::string client;
  std::string transport;  ///< UDP, TCP, TLS or DTLS
  std::string user;
  std::string realm;
  std::vector<std::string> relays;  ///< advertised relay address(es), dual allocations two
  bool tcp_relay = false;           ///< RFC 6062
  std::uint64_t age_s = 0;
  std::uint64_t lifetime_left_s = 0;
  Traffic traffic;                       ///< live: the kernel fast path's counts collected first
  std::vector<std::string> permissions;  ///< peer IPs
  struct Channel {
    std::uint16_t number = 0;
    std::string peer;
  };
  std::vector<Channel> channels;
};

/// The id the admin API gives the allocation `serial` of worker `worker`.
std::string session_id(unsigned worker, std::uint64_t serial);
/// Splits a session id; false when `id` is not one.
bool parse_session_id(const std::string& id, unsigned& worker, std::uint64_t& serial);

/// `a`, authenticated in `realm`, as the admin API shows it at loop time `now_ms`.
SessionInfo describe_session(const Allocation& a, unsigned worker, const std::string& realm,
                             std::uint64_t now_ms);

}  // namespace turn
