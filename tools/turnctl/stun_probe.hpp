// A STUN Binding round trip against a running server: the container's HEALTHCHECK and
// `turnctl probe`. It proves that a worker loop answers, not only that the process exists.
#pragma once

#include <chrono>
#include <string>

#include "stun/address.hpp"

namespace turnctl {

enum class ProbeTransport { kUdp, kTcp };

struct ProbeResult {
  bool ok = false;
  std::string error;           ///< why it failed, when !ok
  stun::SocketAddress mapped;  ///< XOR-MAPPED-ADDRESS of the answer
  std::chrono::microseconds rtt{0};
};

/// Sends a Binding request (RFC 8489 §6.1) with FINGERPRINT to `server` and waits up to `timeout`
/// for its success response: same transaction id, FINGERPRINT valid, XOR-MAPPED-ADDRESS present.
/// Over UDP the request is retransmitted every quarter of the timeout (§6.2.1, on loopback).
ProbeResult probe_binding(const stun::SocketAddress& server, ProbeTransport transport,
                          std::chrono::milliseconds timeout);

}  // namespace turnctl
