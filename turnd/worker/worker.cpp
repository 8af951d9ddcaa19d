#include "worker/worker.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "ingress/ingress.hpp"
#include "net/udp_socket.hpp"
#include "relay/relay_path.hpp"
#include "stun/demux.hpp"
#include "util/log.hpp"

namespace turn {
namespace {

constexpr std::uint64_t kSweepIntervalMs = 250;
/// recvmmsg batches per wakeup and socket: bounded so one busy socket cannot starve the rest.
constexpr int kMaxBatchesPerWakeup = 4;
/// RFC 8656 §7.2: a reserved port is kept for about 30 seconds.
constexpr std::uint64_t kReservationSeconds = 30;
constexpr int kBindAttempts = 16;
/// The loop pacer's pauses are a packet's added delay, so they must end when asked: Linux
/// lets a normal thread's sleeps run 50 us late by default (timer slack), a quarter of the
/// whole budget. 1 us keeps the pause what the pacer computed.
constexpr unsigned long kWorkerTimerSlackNs = 1000;

}  // namespace

RelayHandle::~RelayHandle() {
  ::close(fd);
  ports.put(port);
}

Worker::Worker(unsigned index, SharedState& shared, SettingsPtr settings)
    : index_(index),
      shared_(shared),
      settings_(std::move(settings)),
      loop_(std::make_unique<uv_loop_t>()),
      batch_(std::make_unique<RecvBatch>()),
      tx_queue_(std::make_unique<TxQueue>()),
      tx_storage_(stun::kHeaderSize + 0xFFFC),
      streams_(loop_.get(), *this, shared.connections, stats_),
      dtls_(*this, shared.connections, stats_),
      allocations_(*this, shared.quota, shared.bandwidth, stats_) {
  tx_ = tx_storage_;
  allocations_.on_end([this](Allocation& a, const char* why) { on_allocation_end(a, why); });
  allocations_.set_offload(shared_.offload);
  uv_require(uv_loop_init(loop_.get()), "worker loop");
  uv_require(uv_async_init(loop_.get(), &stop_async_, &Worker::on_stop), "worker stop async");
  stop_async_.data = this;
  uv_require(uv_async_init(loop_.get(), &settings_async_, &Worker::on_settings),
             "worker settings async");
  settings_async_.data = this;
  uv_require(uv_timer_init(loop_.get(), &sweep_timer_), "worker sweep timer");
  sweep_timer_.data = this;
  tx_queue_->set_gso_enabled(config().udp_gso);
  uv_require(uv_check_init(loop_.get(), &flush_check_), "worker flush check");
  flush_check_.data = this;
  uv_require(uv_async_init(loop_.get(), &handoff_async_, &Worker::on_handoff),
             "worker handoff async");
  handoff_async_.data = this;
  uv_require(uv_async_init(loop_.get(), &tasks_async_, &Worker::on_tasks), "worker task async");
  tasks_async_.data = this;
  tasks_.open([this] { uv_succeeded(uv_async_send(&tasks_async_), "worker task"); });
  inbox_ = shared_.handoffs.inbox(index_);
  tcp_relay_ = std::make_unique<TcpRelay>(loop_.get(), *this, streams_, inbox_);
  if (inbox_ != nullptr)
    inbox_->open([this] { uv_succeeded(uv_async_send(&handoff_async_), "worker handoff"); });
}

Worker::~Worker() {
  join();
  for (auto& l : listeners_)
    ::close(l->fd);
  uv_succeeded(uv_loop_close(loop_.get()), "worker loop close");
}

void Worker::start() {
  start_inline();
  thread_ = std::thread([this] {
    ::prctl(PR_SET_TIMERSLACK, kWorkerTimerSlackNs);  // this thread's own: see the constant
    uv_run(loop_.get(), UV_RUN_DEFAULT);
  });
}

void Worker::start_inline() {
  for (auto& l : listeners_) {
    uv_require(uv_poll_start(&l->poll, UV_READABLE,
                             l->stream ? &Worker::on_stream_listener_readable
                                       : &Worker::on_listener_readable),
               "listener poll start");
  }
  uv_require(uv_timer_start(&sweep_timer_, &Worker::on_sweep, kSweepIntervalMs, kSweepIntervalMs),
             "worker sweep timer start");
  sweep_due_ms_ = uv_now(loop_.get()) + kSweepIntervalMs;
  uv_require(uv_check_start(&flush_check_, &Worker::on_loop_check), "worker flush check start");
}

void Worker::run_inline() {
  uv_run(loop_.get(), UV_RUN_NOWAIT);
}

void Worker::stop_inline() {
  close_all();
  uv_run(loop_.get(), UV_RUN_DEFAULT);  // returns once every handle's close callback ran
}

void Worker::request_stop() {
  uv_succeeded(uv_async_send(&stop_async_), "worker stop");
}

void Worker::join() {
  if (thread_.joinable())
    thread_.join();
}

void Worker::post_settings(SettingsPtr settings) {
  {
    std::lock_guard lock(pending_mu_);
    pending_settings_ = std::move(settings);
  }
  // Coalesces; the latest posted settings win.
  uv_succeeded(uv_async_send(&settings_async_), "worker settings");
}

void Worker::on_settings(uv_async_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  SettingsPtr next;
  {
    std::lock_guard lock(self->pending_mu_);
    next = std::move(self->pending_settings_);
  }
  if (next) {
    const bool policy_changed = next->policy.describe() != self->settings_->policy.describe();
    self->settings_ = std::move(next);
    self->tx_queue_->set_gso_enabled(self->config().udp_gso);
    if (policy_changed) {
      const std::size_t revoked =
          self->allocations_.revoke_denied(self->settings_->policy, self->now_ms());
      if (revoked != 0) {
        log::info("reload: " + std::to_string(revoked) +
                  " permissions and channels to peers the new policy refuses ended");
      }
    }
  }
}

void Worker::on_stop(uv_async_t* handle) {
  static_cast<Worker*>(handle->data)->close_all();
}

void Worker::close_all() {
  allocations_.remove_all("shutdown");
  streams_.close_all("shutdown");
  dtls_.close_all("shutdown");
  for (auto& l : listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&l->poll), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&l->backoff), nullptr);
  }
  flush_relayed();
  uv_close(reinterpret_cast<uv_handle_t*>(&sweep_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&settings_async_), nullptr);
  tasks_.close([this] { uv_close(reinterpret_cast<uv_handle_t*>(&tasks_async_), nullptr); });
  auto close_wakeup = [this] {
    uv_close(reinterpret_cast<uv_handle_t*>(&handoff_async_), nullptr);
  };
  if (inbox_ != nullptr) {
    inbox_->close(close_wakeup);
  } else {
    close_wakeup();
  }
}

void Worker::on_listener_readable(uv_poll_t* handle, int status, int) {
  if (status < 0)
    return;
  auto* l = static_cast<Listener*>(handle->data);
  l->worker->drain_listener(*l);
}

void Worker::on_relay_readable(uv_poll_t* handle, int status, int) {
  if (status < 0)
    return;
  auto* h = static_cast<RelayHandle*>(handle->data);
  h->worker->drain_relay(*h);
}

template <typename OnDatagram>
void Worker::drain(int fd, OnDatagram&& on_datagram) {
  for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
    if (!batch_->has_room())
      flush_relayed();
    const int n = batch_->receive(fd);
    if (n == 0)
      return;
    WorkerStats::add(stats_.recvmmsg_calls);
    WorkerStats::add(stats_.recvmmsg_packets, static_cast<std::uint64_t>(n));
    for (int i = 0; i < n; ++i) {
      if (batch_->truncated(i)) {
        WorkerStats::add(stats_.truncated_packets);
        continue;
      }
      if (!on_datagram(batch_->source(i), batch_->data(i)))
        return;
    }
    if (n < static_cast<int>(RecvBatch::kMessages))
      return;
  }
}

bool Worker::source_banned(const stun::SocketAddress& source) {
  if (!bans_.banned(shared_.bans, source, wall_s()))
    return false;
  WorkerStats::add(stats_.banned_packets);
  return true;
}

void Worker::drain_listener(Listener& l) {
  drain(l.fd, [this, &l](const stun::SocketAddress& from, stun::MutableBytes data) {
    // RFC 7983: first bytes 20-63 are DTLS records; STUN and ChannelData never start so.
    if (!data.empty() &&
        stun::classify(data[0], config().max_channel()) == stun::PacketKind::kDtls &&
        settings_->tls && settings_->tls->dtls() != nullptr) {
      if (source_banned(from))
        return true;  // not even a HelloVerifyRequest
      dtls_.on_datagram(settings_->tls->dtls(), from, l.index, data, now_ms());
    } else {
      on_client_datagram(*this, ClientKey{from, l.index}, data);
    }
    return true;
  });
}

void Worker::drain_relay(RelayHandle& h) {
  drain(h.fd, [this, &h](const stun::SocketAddress& from, stun::MutableBytes data) {
    on_peer_datagram(*this, *h.allocation, from, data);
    return h.allocation != nullptr;  // stop reading a relay whose allocation has gone
  });
}

void Worker::on_loop_check(uv_check_t* handle) {
  static_cast<Worker*>(handle->data)->end_iteration();
}

void Worker::end_iteration() {
  flush_relayed();
  // Datagrams and stream frames alike: what one wakeup carried.
  const std::uint64_t received = stats_.recvmmsg_packets.load(std::memory_order_relaxed) +
                                 stats_.stream_frames.load(std::memory_order_relaxed);
  const auto in_this_iteration = static_cast<std::uint32_t>(received - received_before_);
  received_before_ = received;
  const std::uint64_t now = uv_hrtime();
  const std::uint64_t pause_ns =
      pacer_.after_iteration(now, in_this_iteration, config().relay_coalesce_us);
  if (pause_ns != 0) {
    // Datagrams queue in the socket buffers meanwhile; the next poll returns them together.
    const timespec pause{0, static_cast<long>(pause_ns)};
    ::nanosleep(&pause, nullptr);
    pacer_.paused(pause_ns, uv_hrtime() - now);
    WorkerStats::add(stats_.loop_pauses);
  }
}

void Worker::flush_relayed() {
  if (!tx_queue_->empty()) {
    tx_queue_->flush();
    const TxCounters& c = tx_queue_->counters();
    stats_.relay_send_calls.store(c.calls, std::memory_order_relaxed);
    stats_.relay_sent_datagrams.store(c.datagrams, std::memory_order_relaxed);
    stats_.relay_gso_batches.store(c.gso_batches, std::memory_order_relaxed);
    stats_.relay_send_errors.store(c.errors, std::memory_order_relaxed);
  }
  batch_->release_all();
  streams_.flush();
}

void Worker::on_sweep(uv_timer_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  // Loop time is updated just before timers run, so how far it is past the due time is how long
  // the loop was busy elsewhere; libuv schedules the next run from this loop time.
  const std::uint64_t now = uv_now(self->loop_.get());
  self->stats_.loop_lag.record(now > self->sweep_due_ms_ ? (now - self->sweep_due_ms_) * 1000 : 0);
  self->sweep_due_ms_ = now + kSweepIntervalMs;
  self->sweep();
}

void Worker::sweep() {
  const std::uint64_t now = now_ms();
  allocations_.expire(now);
  allocations_.collect_offloaded();
  streams_.sweep(now);
  tcp_relay_->sweep_peers(now);
  dtls_.sweep(now);
  if (index_ == 0)
    shared_.ports.expire_reservations(static_cast<std::uint64_t>(::time(nullptr)));
}

std::uint64_t Worker::wall_s() const {
  return static_cast<std::uint64_t>(::time(nullptr));
}

namespace {

int bind_relay_port(const stun::SocketAddress& ip, std::uint16_t port) {
  stun::SocketAddress at = ip;
  at.port = port;
  std::string error;
  return open_udp_socket(at, /*reuseport=*/false, error);
}

}  // namespace

Worker::BoundRelay Worker::bind_relay(const stun::SocketAddress& relay_ip,
                                      const PortRequest& request) {
  const auto now_s = static_cast<std::uint64_t>(::time(nullptr));
  PortPool& ports = shared_.ports;
  if (request.reservation_token) {
    // The socket was bound when the port was reserved, so nobody can have taken it since.
    auto reserved = ports.claim(*request.reservation_token, now_s);
    if (!reserved)
      return {};
    return {reserved->fd, local_address_of(reserved->fd), std::nullopt};
  }
  for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
    const auto port = request.even ? ports.take_even(request.reserve_next) : ports.take();
    if (!port)
      return {};
    // A port someone else holds (the range overlaps the ephemeral range) is skipped; it goes
    // back to the pool, and the random draw makes picking it again soon unlikely.
    const int fd = bind_relay_port(relay_ip, *port);
    int next_fd = -1;
    if (fd >= 0 && request.reserve_next)
      next_fd = bind_relay_port(relay_ip, *port + 1);
    if (fd < 0 || (request.reserve_next && next_fd < 0)) {
      if (fd >= 0)
        ::close(fd);
      ports.put(*port);
      if (request.reserve_next)
        ports.put(static_cast<std::uint16_t>(*port + 1));
      continue;
    }
    if (request.reserve_next) {
      // RFC 8656 §7.2: port+1 is held, socket and all, for the Allocate that brings the token.
      const std::uint64_t token = ports.reserve(static_cast<std::uint16_t>(*port + 1), next_fd,
                                                now_s + kReservationSeconds);
      return {fd, local_address_of(fd), token};
    }
    return {fd, local_address_of(fd), std::nullopt};
  }
  return {};
}

std::optional<RelaySocket> Worker::open_udp(Allocation& owner, const stun::SocketAddress& ip,
                                            const PortRequest& ports) {
  BoundRelay bound = bind_relay(ip, ports);
  if (bound.fd < 0)
    return std::nullopt;
  if (ports.dont_fragment)
    set_dont_fragment(bound.fd, bound.address.is_v6());
  RelayHandle* h = watch_relay(bound.fd, bound.address.port, &owner, &Worker::on_relay_readable);
  if (h == nullptr) {
    if (bound.token)
      shared_.ports.cancel_reservation(*bound.token);
    return std::nullopt;
  }
  shared_.ports.live.add(bound.address, RelayProtocol::kUdp);
  RelaySocket socket = lease_relay(h, bound.address);
  if (bound.token) {
    // RFC 8656 §7.2: the reserved port+1 ends with this allocation unless claimed first.
    socket.reservation_token = bound.token;
    socket.reservation =
        Lease([](void* pool,
                 std::uint64_t token) { static_cast<PortPool*>(pool)->cancel_reservation(token); },
              &shared_.ports, *bound.token);
  }
  return socket;
}

RelayHandle* Worker::watch_relay(int fd, std::uint16_t port, Allocation* a,
                                 uv_poll_cb on_readable) {
  // On failure the handle was freed at once: its destructor closed fd and returned the port.
  RelayHandle* h =
      RelayHandles::make_polled(loop_.get(), fd, "relay poll", fd, port, a, shared_.ports);
  if (h == nullptr)
    return nullptr;
  h->worker = this;
  if (!uv_succeeded(uv_poll_start(&h->poll, UV_READABLE, on_readable), "relay poll start")) {
    RelayHandles::close(h);
    return nullptr;
  }
  return h;
}

RelaySocket Worker::lease_relay(RelayHandle* h, const stun::SocketAddress& address) {
  RelaySocket socket;
  socket.fd = h->fd;
  socket.address = address;
  socket.lease = Lease(
      [](void* worker, std::uint64_t handle) {
        static_cast<Worker*>(worker)->close_relay(reinterpret_cast<RelayHandle*>(handle));
      },
      this, reinterpret_cast<std::uintptr_t>(h));
  return socket;
}

void Worker::close_relay(RelayHandle* h) {
  // From here on the port is no peer any more, even before the socket is closed and the port
  // returned to the pool (~RelayHandle, once libuv let go of it).
  shared_.ports.live.remove(h->port);
  h->allocation = nullptr;
  RelayHandles::close(h);
}

void Worker::on_allocation_end(Allocation& a, const char* why) {
  if (log::enabled(log::Level::kInfo)) {
    log::info("allocation end: client=" + a.key.client.to_string() +
              " transport=" + transport_name(a.key) + " user=" + log::sanitize(a.user) +
              " realm=" + config().realm + " relay=" + a.advertised.to_string() + " reason=" + why +
              " client_to_peer=" + std::to_string(a.traffic.client_packets) + "pkts/" +
              std::to_string(a.traffic.client_bytes) +
              "B peer_to_client=" + std::to_string(a.traffic.peer_packets) + "pkts/" +
              std::to_string(a.traffic.peer_bytes) + "B");
  }
  if (config().prometheus) {
    // coturn's turn_traffic_* count a session when it ends: one row for the realm, or one per
    // user with prometheus-username-labels (a mutex per allocation end, never per packet).
    stats_.session_traffic.add(config().prometheus_username_labels ? a.user : std::string(),
                               {a.traffic.client_packets, a.traffic.client_bytes,
                                a.traffic.peer_packets, a.traffic.peer_bytes});
  }
  tcp_relay_->end_allocation(a);
  // The relay sockets, quota slot, bandwidth and port reservation are the allocation's
  // leases: the table gives them back when it destroys the allocation, right after this.
}

void Worker::on_tasks(uv_async_t* handle) {
  static_cast<Worker*>(handle->data)->tasks_.run_posted();
}

std::vector<SessionInfo> Worker::sessions(const std::string& user) {
  // What the kernel fast path relayed since the last sweep, so the traffic shown is live.
  allocations_.collect_offloaded();
  std::vector<SessionInfo> out;
  const std::uint64_t now = now_ms();
  allocations_.for_each([&](const Allocation& a) {
    if (user.empty() || a.user == user)
      out.push_back(describe_session(a, index_, config().realm, now));
  });
  return out;
}

void Worker::end_by_admin(Allocation& a) {
  const ClientKey key = a.key;
  allocations_.remove(a, "admin");
  // The client sees its session end: TCP, TLS and DTLS clients lose the connection too (with no
  // allocation left, closing it ends nothing more); a UDP client's next request gets 437.
  if (key.connection != 0) {
    if (StreamClient* s = streams_.find(key.connection)) {
      streams_.close(*s, "admin");
    } else if (dtls_.contains(key.connection)) {
      dtls_.close(key.connection, "admin");
    }
  }
  flush_relayed();
}

bool Worker::end_session(std::uint64_t serial) {
  Allocation* a = allocations_.find_serial(serial);
  if (a == nullptr)
    return false;
  end_by_admin(*a);
  return true;
}

std::size_t Worker::end_user_sessions(const std::string& user) {
  std::vector<std::uint64_t> serials;
  allocations_.for_each([&](const Allocation& a) {
    if (a.user == user)
      serials.push_back(a.serial);
  });
  std::size_t ended = 0;
  for (std::uint64_t serial : serials)
    ended += end_session(serial) ? 1 : 0;
  return ended;
}

void Worker::deliver(const ClientKey& key, stun::Bytes message) {
  on_client_datagram(*this, key, message);
}

void Worker::connection_ending(const ClientKey& key) {
  // RFC 8656 §3.1: the allocation lives and dies with its TCP/TLS connection or DTLS
  // association.
  if (Allocation* a = allocations_.find(key))
    allocations_.remove(*a, "connection closed");
}

ClientTransport Worker::transport_of(const ClientKey& key) const {
  if (key.connection == 0)
    return ClientTransport::kUdp;
  if (dtls_.contains(key.connection))
    return ClientTransport::kDtls;
  return streams_.transport_of(key.connection);
}

void Worker::send_over_connection(const ClientKey& key, stun::Bytes message) {
  if (!streams_.send(key.connection, message))
    dtls_.send(key.connection, message);
}

std::uint32_t Worker::new_connection_id() {
  std::uint32_t id = next_connection_id_++;
  while (id == 0 || streams_.contains(id) || dtls_.contains(id))
    id = next_connection_id_++;
  return id;
}

void Worker::connections_changed() {
  // active_connections: TCP/TLS and DTLS clients.
  stats_.active_connections.store(streams_.size() + dtls_.size(), std::memory_order_relaxed);
}

void Worker::send_to_client(const ClientKey& key, stun::Bytes datagram) {
  if (key.connection != 0) {
    send_over_connection(key, datagram);
    return;
  }
  send_on_listener(key, datagram);
}

}  // namespace turn
