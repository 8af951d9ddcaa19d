#include "net/udp_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace turn {

int open_udp_socket(const stun::SocketAddress& local, bool reuseport, std::string& error) {
  const int domain = local.is_v4() ? AF_INET : AF_INET6;
  const int fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return -errno;
  }
  const int one = 1;
  if (reuseport) {
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  }
  if (!local.is_v4()) {
    // A socket on an IPv6 address serves IPv6 only; IPv4 has its own sockets.
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  sockaddr_storage ss;
  const socklen_t len = local.to_sockaddr(ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    const int err = errno;
    error = std::strerror(err);
    ::close(fd);
    return -err;
  }
  return fd;
}

int set_listener_buffers(int fd, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  int actual = 0;
  socklen_t len = sizeof(actual);
  ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &len);
  return actual;
}

bool send_datagram(int fd, const sockaddr_storage& to, socklen_t to_len, stun::Bytes datagram) {
  iovec piece{const_cast<std::uint8_t*>(datagram.data()), datagram.size()};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr_storage*>(&to);
  msg.msg_namelen = to_len;
  msg.msg_iov = &piece;
  msg.msg_iovlen = 1;
  return ::sendmsg(fd, &msg, MSG_DONTWAIT) >= 0;
}

stun::SocketAddress local_address_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return stun::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss))
      .value_or(stun::SocketAddress{});
}

void set_dont_fragment(int fd, bool v6) {
  const int mode = IP_PMTUDISC_DO;
  if (v6) {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &mode, sizeof(mode));
  } else {
    ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof(mode));
  }
}

}  // namespace turn
