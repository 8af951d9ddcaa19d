#include "support/tcp_echo_peer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

namespace turntest {

namespace {

/// A non-blocking listening TCP socket on `bind_to`; fills `bound` with the real address.
int listen_on(const stun::SocketAddress& bind_to, stun::SocketAddress& bound) {
  const int fd =
      ::socket(bind_to.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_storage ss;
  const socklen_t len = bind_to.to_sockaddr(ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 || ::listen(fd, 64) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("listen " + bind_to.to_string() + ": " + std::strerror(err));
  }
  sockaddr_storage got{};
  socklen_t got_len = sizeof(got);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len);
  bound = stun::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&got)).value();
  return fd;
}

stun::SocketAddress remote_of(const sockaddr_storage& ss) {
  return stun::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss))
      .value_or(stun::SocketAddress{});
}

/// Above this much unsent echo, stop reading from that connection (TCP backpressure, as a real
/// peer would) instead of buffering without bound.
constexpr std::size_t kMaxPendingEcho = 1 << 20;

}  // namespace

// ---------------------------------------------------------------------------------------------
// TcpEchoPeer

TcpEchoPeer::TcpEchoPeer(const stun::SocketAddress& bind_to) {
  listen_fd_ = listen_on(bind_to, address_);
  if (::pipe2(wake_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(err));
  }
  thread_ = std::thread([this] { run(); });
}

TcpEchoPeer::~TcpEchoPeer() {
  stop_ = true;
  wake();
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

void TcpEchoPeer::wake() {
  const char byte = 1;
  // A full pipe already means "wake up"; nothing to do about a short write.
  [[maybe_unused]] const ssize_t n = ::write(wake_pipe_[1], &byte, 1);
}

std::vector<stun::SocketAddress> TcpEchoPeer::remotes() const {
  std::lock_guard lock(mutex_);
  return remotes_;
}

void TcpEchoPeer::close_connections() {
  close_requested_ = true;
  wake();
  const auto deadline = std::chrono::steady_clock::now() + kReplyTimeout;
  while (close_requested_ && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void TcpEchoPeer::run() {
  struct Conn {
    int fd = -1;
    std::vector<std::uint8_t> out;  ///< received, not yet echoed
    bool read_closed = false;       ///< the other side shut down its sending half
  };
  std::vector<Conn> conns;
  auto close_conn = [&](Conn& c) {
    ::close(c.fd);
    c.fd = -1;
    --open_;
  };
  std::vector<pollfd> fds;
  while (!stop_) {
    if (close_requested_) {
      for (auto& c : conns)
        close_conn(c);
      conns.clear();
      close_requested_ = false;
    }
    fds.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : conns) {
      short events = 0;
      if (!c.read_closed && c.out.size() < kMaxPendingEcho)
        events |= POLLIN;
      if (!c.out.empty())
        events |= POLLOUT;
      fds.push_back({c.fd, events, 0});
    }
    // The timeout only bounds how long a missed wake-up could delay stopping.
    const int r = ::poll(fds.data(), fds.size(), 200);
    if (r < 0 && errno != EINTR)
      break;
    if (r <= 0)
      continue;
    if (fds[0].revents) {
      char drain[64];
      while (::read(wake_pipe_[0], drain, sizeof(drain)) > 0) {
      }
    }
    if (fds[1].revents & POLLIN) {
      for (;;) {
        sockaddr_storage ss{};
        socklen_t len = sizeof(ss);
        const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
          break;
        {
          std::lock_guard lock(mutex_);
          remotes_.push_back(remote_of(ss));
        }
        conns.push_back(Conn{fd, {}, false});
        ++accepted_;
        ++open_;
      }
    }
    // fds[2 + i] belongs to conns[i] as they were before the accepts above.
    const std::size_t polled = fds.size() - 2;
    for (std::size_t i = 0; i < polled; ++i) {
      Conn& c = conns[i];
      const short revents = fds[2 + i].revents;
      if (revents & (POLLIN | POLLHUP | POLLERR)) {
        std::uint8_t buf[65536];
        const ssize_t n = ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
          c.out.insert(c.out.end(), buf, buf + n);
        } else if (n == 0) {
          c.read_closed = true;
        } else if (errno != EAGAIN && errno != EINTR) {
          close_conn(c);
          continue;
        }
      }
      if (!c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          c.out.erase(c.out.begin(), c.out.begin() + n);
          echoed_ += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          close_conn(c);
          continue;
        }
      }
      // Echo what was pending, then follow the other side's close.
      if (c.read_closed && c.out.empty())
        close_conn(c);
    }
    std::erase_if(conns, [](const Conn& c) { return c.fd < 0; });
  }
  for (auto& c : conns) {
    if (c.fd >= 0)
      close_conn(c);
  }
}

// ---------------------------------------------------------------------------------------------
// TcpListenerPeer

TcpListenerPeer::TcpListenerPeer(const stun::SocketAddress& bind_to) {
  fd_ = listen_on(bind_to, address_);
}

TcpListenerPeer::~TcpListenerPeer() {
  close();
}

void TcpListenerPeer::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

std::unique_ptr<StreamConnection> TcpListenerPeer::accept(Millis timeout) {
  if (fd_ < 0)
    throw std::logic_error("TcpListenerPeer::accept after close()");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
      return StreamConnection::adopt(fd);
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
      throw std::runtime_error(std::string("accept: ") + std::strerror(errno));
    const auto left =
        std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return nullptr;
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
}

}  // namespace turntest
