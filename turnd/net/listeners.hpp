// The client-facing sockets, bound before the workers start: for every listening address, one
// UDP and one TCP socket per worker in the address's SO_REUSEPORT group, on each port that is in
// use (listening-port, tls-listening-port, alt-*).
#pragma once

#include <vector>

#include "config/config.hpp"
#include "stun/address.hpp"

namespace turn {

struct BoundListeners {
  std::vector<stun::SocketAddress> udp;  ///< one entry per address and port
  std::vector<stun::SocketAddress> tcp;
  /// [worker][i]: the fd of udp[i] / tcp[i] for that worker.
  std::vector<std::vector<int>> udp_fds;
  std::vector<std::vector<int>> tcp_fds;

  BoundListeners() = default;
  BoundListeners(BoundListeners&&) = default;
  BoundListeners& operator=(BoundListeners&&) = default;
  /// Closes fds still owned here (after a failure, or ones not handed to a worker).
  ~BoundListeners();
  void release() { udp_fds.clear(), tcp_fds.clear(); }
};

/// Which listeners a configuration asks for. TLS and DTLS are detected by their first byte on
/// every port, as coturn does; the TLS ports are opened only when TLS (TCP) or DTLS (UDP) can be
/// served there.
struct ListenerPlan {
  bool udp_plain_ports = true;  ///< UDP on listening-port / alt-listening-port
  bool tcp_plain_ports = true;  ///< TCP on listening-port / alt-listening-port
  bool udp_tls_ports = false;   ///< UDP on the TLS ports: DTLS
  bool tcp_tls_ports = false;   ///< TCP on the TLS ports: TLS
};
ListenerPlan plan_listeners(const Config& c, bool tls_available);

/// Binds every socket of the plan. listening-port 0 means kernel-chosen (the first socket picks
/// and the others join it); the other ports' 0 means none. Throws std::runtime_error naming the
/// transport and address on failure.
BoundListeners bind_listeners(const Config& c, const ListenerPlan& plan,
                              const std::vector<stun::SocketAddress>& ips, unsigned workers);

}  // namespace turn
