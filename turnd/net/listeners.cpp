#include "net/listeners.hpp"

#include <unistd.h>

#include <stdexcept>

#include "net/tcp_socket.hpp"
#include "net/udp_socket.hpp"

namespace turn {
namespace {

/// 4 MiB each way per UDP listener. The kernel charges each datagram its buffer's true size
/// (about 1 KiB for a small one), so the default 208 KiB holds only a couple of hundred
/// datagrams: a worker busy for a moment with many clients sending would drop packets.
constexpr int kListenerBufferBytes = 4 << 20;

int open_socket(bool tcp, const stun::SocketAddress& local, bool reuseport, std::string& error) {
  return tcp ? open_tcp_listener(local, reuseport, error)
             : open_udp_socket(local, reuseport, error);
}

/// Binds one socket per worker on `local` (port 0: kernel-chosen) and returns the bound address.
stun::SocketAddress bind_group(bool tcp, stun::SocketAddress local,
                               std::vector<std::vector<int>>& fds) {
  const char* name = tcp ? "TCP " : "UDP ";
  if (local.port != 0) {
    // SO_REUSEPORT would let this server silently share the port with another process of the
    // same user (a second turnd, each getting part of the clients): a plain bind first fails
    // when anyone holds the port.
    std::string error;
    const int probe = open_socket(tcp, local, /*reuseport=*/false, error);
    if (probe < 0)
      throw std::runtime_error(std::string("cannot listen on ") + name + local.to_string() + ": " +
                               error);
    ::close(probe);
  }
  for (auto& per_worker : fds) {
    std::string error;
    const int fd = open_socket(tcp, local, /*reuseport=*/true, error);
    if (fd < 0)
      throw std::runtime_error(std::string("cannot listen on ") + name + local.to_string() + ": " +
                               error);
    if (!tcp)
      set_listener_buffers(fd, kListenerBufferBytes);
    if (local.port == 0)
      local = local_address_of(fd);
    per_worker.push_back(fd);
  }
  return local;
}

}  // namespace

BoundListeners::~BoundListeners() {
  for (auto* list : {&udp_fds, &tcp_fds}) {
    for (auto& per_worker : *list) {
      for (int fd : per_worker)
        ::close(fd);
    }
  }
}

ListenerPlan plan_listeners(const Config& c, bool tls_available) {
  ListenerPlan p;
  const bool tls = tls_available && !c.no_tls;
  p.udp_plain_ports = !c.no_udp;
  // TLS is also accepted on the plain ports, so they listen on TCP when either is wanted.
  p.tcp_plain_ports = !c.no_tcp || tls;
  p.udp_tls_ports = tls_available && c.dtls;
  p.tcp_tls_ports = tls;
  return p;
}

BoundListeners bind_listeners(const Config& c, const ListenerPlan& plan,
                              const std::vector<stun::SocketAddress>& ips, unsigned workers) {
  BoundListeners b;
  b.udp_fds.resize(workers);
  b.tcp_fds.resize(workers);
  struct Port {
    std::uint16_t number;
    bool udp;
    bool tcp;
    bool optional;  ///< 0 means none (every port but listening-port, whose 0 is kernel-chosen)
  };
  const Port ports[] = {
      {c.listening_port, plan.udp_plain_ports, plan.tcp_plain_ports, false},
      {c.alt_listening_port, plan.udp_plain_ports, plan.tcp_plain_ports, true},
      {c.tls_listening_port, plan.udp_tls_ports, plan.tcp_tls_ports, true},
      {c.alt_tls_listening_port, plan.udp_tls_ports, plan.tcp_tls_ports, true},
  };
  for (const auto& ip : ips) {
    for (const Port& port : ports) {
      if (port.optional && port.number == 0)
        continue;
      stun::SocketAddress local = ip;
      local.port = port.number;
      if (port.udp) {
        local = bind_group(false, local, b.udp_fds);
        b.udp.push_back(local);
      }
      if (port.tcp) {
        // With a kernel-chosen port, TCP follows UDP's choice when it can (one port number for
        // both, as with a configured port).
        try {
          local = bind_group(true, local, b.tcp_fds);
        } catch (const std::runtime_error&) {
          if (port.number != 0 || !port.udp)
            throw;
          local.port = 0;  // UDP's kernel-chosen port is taken for TCP: let TCP choose too
          local = bind_group(true, local, b.tcp_fds);
        }
        b.tcp.push_back(local);
      }
    }
  }
  return b;
}

}  // namespace turn
