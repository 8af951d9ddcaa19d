#include "net.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace load {

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

int open_udp(const stun::SocketAddress& bind_to, const stun::SocketAddress& connect_to,
             std::string& error) {
  const int fd =
      ::socket(bind_to.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno_text("socket");
    return -1;
  }
  sockaddr_storage ss;
  socklen_t len = bind_to.to_sockaddr(ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    error = errno_text(("bind " + bind_to.to_string()).c_str());
    ::close(fd);
    return -1;
  }
  if (!connect_to.empty()) {
    len = connect_to.to_sockaddr(ss);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
      error = errno_text(("connect " + connect_to.to_string()).c_str());
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

int open_tcp(const stun::SocketAddress& bind_to, const stun::SocketAddress& server, int timeout_ms,
             std::string& error) {
  const int fd = ::socket(server.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno_text("socket");
    return -1;
  }
  sockaddr_storage ss;
  if (!bind_to.empty()) {
    // The port is picked at connect() for the whole 4-tuple, as without bind(): a bind() to
    // port 0 alone would give every connection a port of its own and use the range up sooner.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    const socklen_t len = bind_to.to_sockaddr(ss);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
      error = errno_text(("bind " + bind_to.to_string()).c_str());
      ::close(fd);
      return -1;
    }
  }
  // A blocking connect bounded by SO_SNDTIMEO: on loopback it completes (or is refused) at once,
  // and setup runs a bounded number of clients at a time, so blocking here is harmless.
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const socklen_t len = server.to_sockaddr(ss);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    error = errno_text(("connect " + server.to_string()).c_str());
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

void set_buffers(int fd, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

stun::SocketAddress local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return stun::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss))
      .value_or(stun::SocketAddress{});
}

stun::SocketAddress loopback_like(const stun::SocketAddress& server) {
  if (server.is_v6())
    return *stun::SocketAddress::parse_ip("::1");
  return stun::SocketAddress::v4({127, 0, 0, 1}, 0);
}

std::size_t raise_nofile_limit() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<std::size_t>(rl.rlim_cur);
}

}  // namespace load
