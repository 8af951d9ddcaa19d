// The worker's side of RFC 6062 (relay/tcp_relay.cpp has the protocol): the listening relay
// socket a TCP allocation leases, its readiness handed to the relay, and the inbox of data
// connections other workers hand over.
#include "net/tcp_socket.hpp"
#include "worker/worker.hpp"

namespace turn {
std::optional<RelaySocket> Worker::open_tcp(Allocation& owner, const stun::SocketAddress& ip) {
  PortPool& ports = shared_.ports;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const auto port = ports.take();
    if (!port)
      return std::nullopt;
    stun::SocketAddress at = ip;
    at.port = *port;
    std::string error;
    // SO_REUSEPORT: Connect's sockets bind the same relayed address (§5.2).
    const int fd = open_tcp_listener(at, /*reuseport=*/true, error);
    if (fd < 0) {
      ports.put(*port);
      continue;
    }
    RelayHandle* h = watch_relay(fd, *port, &owner, &Worker::on_tcp_relay_acceptable);
    if (h == nullptr)
      return std::nullopt;  // the handle closed the socket and gave the port back
    shared_.ports.live.add(at, RelayProtocol::kTcp);
    return lease_relay(h, at);
  }
  return std::nullopt;
}

void Worker::on_tcp_relay_acceptable(uv_poll_t* handle, int status, int) {
  auto* h = static_cast<RelayHandle*>(handle->data);
  if (status >= 0 && h->allocation != nullptr)
    h->worker->tcp_relay_->accept_peers(h->fd, *h->allocation);
}

void Worker::on_handoff(uv_async_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  for (auto& h : self->inbox_->take())
    self->tcp_relay_->adopt(std::move(h));
}

}  // namespace turn
