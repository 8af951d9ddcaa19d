// `turnctl allocate`: an authenticated TURN Allocate (RFC 8656 §7.1) that follows 300 Try
// Alternate (RFC 8489 §10) to the server the ALTERNATE-SERVER attribute names, a bounded
// number of times. It tells an operator (and the cluster tests) which node finally serves a
// client and with which relayed address; the allocation is released again (Refresh 0) unless
// asked to keep it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "stun/address.hpp"
#include "stun_probe.hpp"

namespace turnctl {

struct AllocateOptions {
  stun::SocketAddress server;
  ProbeTransport transport = ProbeTransport::kUdp;
  std::string user;
  std::string password;
  int max_redirects = 3;
  std::chrono::milliseconds timeout{2000};  ///< per request
  bool keep = false;                        ///< leave the allocation (no Refresh 0)
};

struct AllocateResult {
  bool ok = false;
  std::string error;                           ///< why it failed, when !ok
  std::vector<stun::SocketAddress> redirects;  ///< servers that answered 300, in order
  std::string alternate_domain;                ///< the last 300's ALTERNATE-DOMAIN, if any
  stun::SocketAddress server;                  ///< the server that accepted (or failed last)
  stun::SocketAddress relayed;                 ///< XOR-RELAYED-ADDRESS
  stun::SocketAddress mapped;                  ///< XOR-MAPPED-ADDRESS
  std::uint32_t lifetime = 0;
};

/// Allocates on `options.server`, following up to `max_redirects` 300 answers. Each 300 must
/// carry a MESSAGE-INTEGRITY that verifies with our key (RFC 8489 §14.8: receivers MUST check
/// it before redirecting), and a server already tried is a loop, not a hop.
AllocateResult allocate_following(const AllocateOptions& options);

}  // namespace turnctl
