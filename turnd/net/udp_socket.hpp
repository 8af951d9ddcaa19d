// Non-blocking UDP sockets bound to one local address.
#pragma once

#include <sys/socket.h>

#include <string>

#include "stun/address.hpp"
#include "stun/bytes.hpp"

namespace turn {

/// Opens a non-blocking UDP socket bound to `local`. With `reuseport`, joins the SO_REUSEPORT
/// group of that address so each worker gets its own socket and the kernel hashes clients across
/// them. Returns the fd, or -errno (and a message in `error`).
int open_udp_socket(const stun::SocketAddress& local, bool reuseport, std::string& error);

/// A listener carries every client of its worker, so bursts from many clients arrive between two
/// wakeups: its buffers are asked for `bytes` each way (the kernel caps the request at
/// net.core.rmem_max / wmem_max; as root the cap is lifted with the FORCE variants). Returns the
/// receive buffer size now in force.
int set_listener_buffers(int fd, int bytes);

/// One datagram now, without blocking; false when the kernel refused it (EAGAIN included).
bool send_datagram(int fd, const sockaddr_storage& to, socklen_t to_len, stun::Bytes datagram);

/// The address a socket is bound to (to learn a kernel-chosen port).
stun::SocketAddress local_address_of(int fd);

/// RFC 8656 §7.2 DONT-FRAGMENT: set DF on datagrams sent to peers.
void set_dont_fragment(int fd, bool v6);

}  // namespace turn
