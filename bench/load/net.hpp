// Socket helpers shared by the clients and the echo peer. All sockets are non-blocking unless
// said otherwise; errors come back as text for the stderr diagnostics.
#pragma once

#include <cstddef>
#include <string>

#include "stun/address.hpp"

namespace load {

/// A UDP socket bound to `bind_to`, connected to `connect_to` unless that is empty. Connecting
/// lets the kernel skip the route lookup per send and drop datagrams from anyone else, and makes
/// an ICMP "port unreachable" from a dead server show up as ECONNREFUSED. -1 on error.
int open_udp(const stun::SocketAddress& bind_to, const stun::SocketAddress& connect_to,
             std::string& error);

/// A TCP connection to `server` from the IP of `bind_to` (empty: the kernel's choice), connected
/// (blocking, at most `timeout_ms`) and then switched to non-blocking with TCP_NODELAY (every
/// frame is latency-sensitive). -1 on error.
int open_tcp(const stun::SocketAddress& bind_to, const stun::SocketAddress& server, int timeout_ms,
             std::string& error);

/// Socket buffer sizes: tries the *FORCE variants first (root may exceed net.core.*mem_max), then
/// the plain ones, which the kernel caps silently.
void set_buffers(int fd, int bytes);

stun::SocketAddress local_address(int fd);

/// The loopback address of `server`'s family, port 0.
stun::SocketAddress loopback_like(const stun::SocketAddress& server);

/// Raises RLIMIT_NOFILE to the hard limit (10k clients need 10k sockets); returns the new soft
/// limit.
std::size_t raise_nofile_limit();

std::string errno_text(const char* what);

}  // namespace load
