// The worker's listening sockets: one UDP socket and one TCP listener per listening address (in
// that address's SO_REUSEPORT group), the accept readiness handed to StreamClients with its
// back-off when file descriptors run out, and the datagrams sent from a UDP listener, so a reply
// leaves from the address the client used.
#include <unistd.h>

#include "net/udp_socket.hpp"
#include "util/log.hpp"
#include "worker/worker.hpp"

namespace turn {
namespace {

/// How long a TCP listener stops accepting after accept() ran out of file descriptors: the
/// connection stays in the backlog, and a level-triggered poll would wake us for it at once.
constexpr std::uint64_t kAcceptBackoffMs = 100;

}  // namespace

void Worker::add_listener(int fd, const stun::SocketAddress& local) {
  auto l = std::make_unique<Listener>();
  l->fd = fd;
  l->index = static_cast<std::uint32_t>(listeners_.size());
  l->local = local;
  l->worker = this;
  uv_require(uv_poll_init(loop_.get(), &l->poll, fd), "listener poll");
  l->poll.data = l.get();
  uv_require(uv_timer_init(loop_.get(), &l->backoff), "listener backoff timer");
  l->backoff.data = l.get();
  listeners_.push_back(std::move(l));
}

void Worker::add_stream_listener(int fd, const stun::SocketAddress& local) {
  add_listener(fd, local);
  listeners_.back()->stream = true;
}

void Worker::on_stream_listener_readable(uv_poll_t* handle, int status, int) {
  if (status < 0)
    return;
  auto* l = static_cast<Listener*>(handle->data);
  if (l->worker->streams_.accept(l->fd, l->index) == StreamClients::AcceptResult::kOutOfDescriptors)
    l->worker->back_off_accepting(*l);
}

void Worker::back_off_accepting(Listener& l) {
  WorkerStats::add(stats_.accept_backoffs);
  if (log::enabled(log::Level::kWarning)) {
    static log::RateLimit limit(1);
    log::write_limited(limit, log::Level::kWarning,
                       "out of file descriptors accepting on " + l.local.to_string() +
                           ": pausing accept for " + std::to_string(kAcceptBackoffMs) + " ms");
  }
  uv_succeeded(uv_poll_stop(&l.poll), "listener poll stop");
  uv_succeeded(uv_timer_start(&l.backoff, &Worker::on_accept_backoff_over, kAcceptBackoffMs, 0),
               "accept backoff timer");
}

void Worker::on_accept_backoff_over(uv_timer_t* handle) {
  auto* l = static_cast<Listener*>(handle->data);
  uv_succeeded(uv_poll_start(&l->poll, UV_READABLE, &Worker::on_stream_listener_readable),
               "listener poll start");
}

void Worker::send_on_listener(const ClientKey& key, stun::Bytes datagram) {
  sockaddr_storage to;
  const socklen_t to_len = key.client.to_sockaddr(to);
  if (!send_datagram(listeners_[key.listener]->fd, to, to_len, datagram))
    WorkerStats::add(stats_.send_errors);
}

}  // namespace turn
