#include "net/tcp_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace turn {
namespace {

/// Connections waiting for accept(); the kernel caps it at net.core.somaxconn.
constexpr int kListenBacklog = 1024;

int fail(int fd, std::string& error) {
  const int err = errno;
  error = std::strerror(err);
  if (fd >= 0)
    ::close(fd);
  return -err;
}

int new_tcp_socket(const stun::SocketAddress& local, std::string& error) {
  const int fd =
      ::socket(local.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail(-1, error);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (!local.is_v4())
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  return fd;
}

}  // namespace

int open_tcp_listener(const stun::SocketAddress& local, bool reuseport, std::string& error) {
  const int fd = new_tcp_socket(local, error);
  if (fd < 0)
    return fd;
  const int one = 1;
  if (reuseport)
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_storage ss;
  const socklen_t len = local.to_sockaddr(ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
      ::listen(fd, kListenBacklog) != 0)
    return fail(fd, error);
  return fd;
}

int accept_connection(int listener_fd, stun::SocketAddress& from) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  const int fd =
      ::accept4(listener_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -errno;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  from = stun::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss))
             .value_or(stun::SocketAddress{});
  return fd;
}

int start_tcp_connect(const stun::SocketAddress& local, const stun::SocketAddress& peer,
                      std::string& error) {
  const int fd = new_tcp_socket(local, error);
  if (fd < 0)
    return fd;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // RFC 6062 §5.2: the connection leaves from the relayed address, which the allocation's
  // listening socket holds; both join its SO_REUSEPORT group.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_storage ss;
  socklen_t len = local.to_sockaddr(ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0)
    return fail(fd, error);
  len = peer.to_sockaddr(ss);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS)
    return fail(fd, error);
  return fd;
}

int connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return errno;
  return err;
}

}  // namespace turn
