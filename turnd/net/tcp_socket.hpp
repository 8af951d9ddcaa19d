// Non-blocking TCP sockets: the listeners of TURN over TCP/TLS (RFC 8656 §3.1) and, for RFC 6062,
// the relay's outgoing and listening peer sockets.
#pragma once

#include <string>

#include "stun/address.hpp"

namespace turn {

/// Opens a non-blocking TCP socket bound to `local` and listening. With `reuseport`, joins the
/// address's SO_REUSEPORT group (one socket per worker; the kernel spreads connections).
/// Returns the fd, or -errno with a message in `error`.
int open_tcp_listener(const stun::SocketAddress& local, bool reuseport, std::string& error);

/// Accepts one pending connection, non-blocking, with TCP_NODELAY (media must not wait for
/// Nagle). Returns the fd and fills `from`; -1 when nothing is pending, -errno on an error.
int accept_connection(int listener_fd, stun::SocketAddress& from);

/// Starts a non-blocking connect from `local` (joining its SO_REUSEPORT group) to `peer`. Returns
/// the fd (the connection completes when it becomes writable), or -errno with a message in `error`.
int start_tcp_connect(const stun::SocketAddress& local, const stun::SocketAddress& peer,
                      std::string& error);

/// After a non-blocking connect reported writable: 0 when connected, else the errno.
int connect_result(int fd);

}  // namespace turn
