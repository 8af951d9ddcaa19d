#include "deadline_socket.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace turnctl {

int millis_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

std::string system_error(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

turn::UniqueFd connect_before(const stun::SocketAddress& to, int type, Clock::time_point deadline,
                              std::string& error) {
  turn::UniqueFd fd(
      ::socket(to.is_v4() ? AF_INET : AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    error = system_error("socket");
    return fd;
  }
  sockaddr_storage ss{};
  const socklen_t len = to.to_sockaddr(ss);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0 &&
      errno != EINPROGRESS) {
    error = system_error("connect");
    return turn::UniqueFd();
  }
  if (type == SOCK_STREAM) {
    pollfd p{fd.get(), POLLOUT, 0};
    int err = 0;
    socklen_t err_len = sizeof(err);
    if (::poll(&p, 1, millis_left(deadline)) != 1 ||
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
      errno = err != 0 ? err : ETIMEDOUT;
      error = system_error("connect");
      return turn::UniqueFd();
    }
  }
  return fd;
}

}  // namespace turnctl
