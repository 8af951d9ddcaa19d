// One worker: a libuv loop on its own thread that owns its listener sockets (one per listening
// address, in that address's SO_REUSEPORT group), the allocations created through them, their
// relay sockets and its stats shard. Nothing it owns is touched by another thread, so the
// relay path takes no lock.
#pragma once

#include <sys/uio.h>
#include <uv.h>

#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "alloc/allocation.hpp"
#include "alloc/allocation_table.hpp"
#include "alloc/relay_binder.hpp"
#include "alloc/session_info.hpp"
#include "conn/dtls_clients.hpp"
#include "conn/peer_connection.hpp"
#include "conn/stream_client.hpp"
#include "conn/stream_clients.hpp"
#include "guard/ban_list.hpp"
#include "guard/connection_limiter.hpp"
#include "handlers/turn_context.hpp"
#include "net/dtls_session.hpp"
#include "net/recv_batch.hpp"
#include "net/tx_queue.hpp"
#include "net/uv_handle.hpp"
#include "relay/tcp_relay.hpp"
#include "state/settings.hpp"
#include "state/shared_state.hpp"
#include "state/task_inbox.hpp"
#include "util/stats.hpp"
#include "worker/batch_pacer.hpp"

namespace turn {

class Worker;

struct Listener {
  uv_poll_t poll{};
  /// A TCP listener that ran out of file descriptors pauses on this timer instead of being
  /// woken again at once for the connection still waiting in its backlog (a 100% CPU spin).
  uv_timer_t backoff{};
  int fd = -1;
  bool stream = false;  ///< a TCP listener (TCP and TLS clients); else UDP
  std::uint32_t index = 0;
  stun::SocketAddress local;
  Worker* worker = nullptr;
};

/// A relay socket and its poll handle; freed in the handle's close callback (RelayHandles).
struct RelayHandle {
  RelayHandle(int socket, std::uint16_t bound_port, Allocation* owner, PortPool& pool)
      : fd(socket), port(bound_port), allocation(owner), ports(pool) {}
  /// Only now is the port really free: returned earlier, another worker could draw it while
  /// this socket still holds it, and fail to bind.
  ~RelayHandle();
  RelayHandle(const RelayHandle&) = delete;
  RelayHandle& operator=(const RelayHandle&) = delete;

  uv_poll_t poll{};
  int fd = -1;
  std::uint16_t port = 0;
  Allocation* allocation = nullptr;  ///< null once the allocation has let go of the socket
  PortPool& ports;
  Worker* worker = nullptr;
};
using RelayHandles = UvHandle<RelayHandle, uv_poll_t, &RelayHandle::poll>;

/// The worker is the wiring: its loop and listeners; the context its handlers run against
/// (TurnContext); the relay sockets its allocation table leases (RelayBinder); the ingress,
/// allocations and flushes its TCP/TLS clients (StreamHost) and DTLS sessions (DtlsHost) reach.
class Worker final : public TurnContext, public RelayBinder, public StreamHost, public DtlsHost {
 public:
  Worker(unsigned index, SharedState& shared, SettingsPtr settings);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Before start(): adds a UDP socket bound to `local`.
  void add_listener(int fd, const stun::SocketAddress& local);
  /// Before start(): adds a listening TCP socket (TCP and TLS clients, told apart by their
  /// first byte as coturn does).
  void add_stream_listener(int fd, const stun::SocketAddress& local);
  void start();
  /// Thread-safe: asks the loop to close everything and return.
  void request_stop();
  /// Instead of start(): the caller's thread drives the loop, one non-blocking iteration per
  /// run_inline(), and stop_inline() closes everything (the worker fuzzer, fuzz/fuzz_worker.cpp,
  /// runs a worker this way, deterministically, without a thread of its own).
  void start_inline();
  void run_inline();
  void stop_inline();
  /// Thread-safe: the loop switches to `settings` at its next iteration (SIGHUP reload).
  /// Existing allocations keep running; new lifetimes, policy and limits apply to new requests.
  void post_settings(SettingsPtr settings);
  void join();

  unsigned index() const { return index_; }
  const WorkerStats& stats() const { return stats_; }

  /// Thread-safe: runs `task` on this worker's loop soon; false when the worker is not running
  /// (the task never runs). The admin API reads and ends sessions this way.
  bool post_task(TaskInbox::Task task) { return tasks_.post(std::move(task)); }
  // On this worker's thread (posted tasks):
  /// Its sessions, or only those of `user` when it is not empty.
  std::vector<SessionInfo> sessions(const std::string& user);
  /// Ends the session with this serial (Allocation::serial): its allocation and, for TCP, TLS
  /// and DTLS, the client's connection. False when there is none.
  bool end_session(std::uint64_t serial);
  /// Ends every session of `user`; how many.
  std::size_t end_user_sessions(const std::string& user);

  // TurnContext: what the handlers and the relay path use, on this worker's thread only.
  std::uint64_t now_ms() const override { return uv_now(loop_.get()); }
  std::uint64_t wall_s() const override;
  unsigned worker_index() const override { return index_; }
  const Settings& settings() const override { return *settings_; }  // and StreamHost's
  SharedState& shared() override { return shared_; }
  WorkerStats& stats() override { return stats_; }
  AllocationTable& allocations() override { return allocations_; }
  TcpRelayControl& tcp_relay() override { return *tcp_relay_; }
  const stun::SocketAddress& listener_address(std::uint32_t index) const override {
    return listeners_[index]->local;
  }
  ClientTransport transport_of(const ClientKey& key) const override;
  bool is_stream_client(const ClientKey& key) const override {
    return key.connection != 0 && streams_.contains(key.connection);
  }
  bool source_banned(const stun::SocketAddress& source) override;  // and StreamHost's
  stun::MutableBytes tx_buffer() override { return tx_; }
  void send_to_client(const ClientKey& key, stun::Bytes datagram) override;
  void relay_to_client(const ClientKey& key, stun::Bytes datagram) override {
    if (key.connection != 0) {
      send_over_connection(key, datagram);
      return;
    }
    tx_queue_->push(listeners_[key.listener]->fd, key.client, datagram.data(), datagram.size());
  }
  void relay_to_peer(const Allocation& a, const stun::SocketAddress& peer,
                     stun::Bytes datagram) override {
    tx_queue_->push(a.relay_fd_for(peer), peer, datagram.data(), datagram.size());
  }

  // ConnectionHost (of StreamHost and DtlsHost): what TCP/TLS and DTLS clients reach.
  void deliver(const ClientKey& key, stun::Bytes message) override;
  void connection_ending(const ClientKey& key) override;
  bool has_allocation(const ClientKey& key) override { return allocations_.find(key) != nullptr; }
  std::uint32_t new_connection_id() override;
  void connections_changed() override;
  // StreamHost: sends the queued relayed datagrams, frees the receive slots they pointed into
  // and writes the TCP/TLS output queued meanwhile.
  void flush_relayed() override;
  // DtlsHost.
  void send_record(const ClientKey& to, stun::Bytes record) override {
    send_on_listener(to, record);
  }

  // RelayBinder: the sockets the allocation table leases.
  std::optional<RelaySocket> open_udp(Allocation& owner, const stun::SocketAddress& ip,
                                      const PortRequest& ports) override;
  std::optional<RelaySocket> open_tcp(Allocation& owner, const stun::SocketAddress& ip) override;

  /// One datagram now from `key`'s UDP listener to its client (a response, a DTLS record).
  void send_on_listener(const ClientKey& key, stun::Bytes datagram);

 private:
  static void on_listener_readable(uv_poll_t* handle, int status, int events);
  static void on_stream_listener_readable(uv_poll_t* handle, int status, int events);
  static void on_accept_backoff_over(uv_timer_t* handle);
  /// accept() failed for want of file descriptors: stop polling `l` for a while.
  void back_off_accepting(Listener& l);
  /// Over TCP/TLS: queued on the connection; over DTLS: encrypted and sent now.
  void send_over_connection(const ClientKey& key, stun::Bytes message);
  static void on_tcp_relay_acceptable(uv_poll_t* handle, int status, int events);
  static void on_handoff(uv_async_t* handle);
  static void on_tasks(uv_async_t* handle);
  /// Ends `a` and the client's connection, for the admin API.
  void end_by_admin(Allocation& a);
  static void on_relay_readable(uv_poll_t* handle, int status, int events);
  static void on_stop(uv_async_t* handle);
  static void on_settings(uv_async_t* handle);
  static void on_sweep(uv_timer_t* handle);
  static void on_loop_check(uv_check_t* handle);
  /// After each poll phase: flush, then maybe pause so the next batch is bigger.
  void end_iteration();
  /// Reads `fd` in recvmmsg batches, bounded per wakeup so one busy socket cannot starve the
  /// rest, counts them, drops truncated datagrams, and hands each datagram to `on_datagram`
  /// (source, bytes) until it returns false.
  template <typename OnDatagram>
  void drain(int fd, OnDatagram&& on_datagram);
  void drain_listener(Listener& l);
  void drain_relay(RelayHandle& h);
  void sweep();
  void close_all();
  void close_relay(RelayHandle* h);
  RelayHandle* watch_relay(int fd, std::uint16_t port, Allocation* a, uv_poll_cb on_readable);
  /// The relay socket as a lease: giving it back closes the socket and frees the port.
  RelaySocket lease_relay(RelayHandle* h, const stun::SocketAddress& address);
  /// What the allocation table calls first when an allocation ends: the end log line, the
  /// session's traffic counters and (RFC 6062) its peer connections.
  void on_allocation_end(Allocation& a, const char* why);
  struct BoundRelay {
    int fd = -1;
    stun::SocketAddress address;
    std::optional<std::uint64_t> token;  ///< EVEN-PORT R: the reservation of port+1
  };
  /// Binds the relay socket for a new allocation (and, for EVEN-PORT with R, port+1 too);
  /// fd -1 when no port could be had.
  BoundRelay bind_relay(const stun::SocketAddress& relay_ip, const PortRequest& request);

  unsigned index_;
  SharedState& shared_;
  SettingsPtr settings_;
  std::mutex pending_mu_;
  SettingsPtr pending_settings_;  ///< posted by the control thread, taken by on_settings
  uv_async_t settings_async_{};
  std::unique_ptr<uv_loop_t> loop_;
  uv_async_t stop_async_{};
  uv_timer_t sweep_timer_{};
  std::uint64_t sweep_due_ms_ = 0;  ///< loop time the sweep timer is due next (its lag is counted)
  uv_check_t flush_check_{};        ///< runs after each poll phase: one flush per loop iteration
  std::thread thread_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<RecvBatch> batch_;
  std::unique_ptr<TxQueue> tx_queue_;
  std::uint32_t next_connection_id_ = 1;
  HandoffInbox* inbox_ = nullptr;        ///< shared_.handoffs' inbox of this worker
  uv_async_t handoff_async_{};           ///< wakes the loop when something was posted to inbox_
  TaskInbox tasks_;                      ///< the admin API's requests
  uv_async_t tasks_async_{};             ///< wakes the loop when a task was posted
  std::unique_ptr<TcpRelay> tcp_relay_;  ///< RFC 6062: peer connections and data connections
  BatchPacer pacer_;
  std::uint64_t received_before_ = 0;  ///< datagrams + stream frames at the last iteration end
  BanCache bans_;
  std::vector<std::uint8_t> tx_storage_;
  stun::MutableBytes tx_;
  WorkerStats stats_;
  StreamClients streams_;  ///< the TCP/TLS clients of this worker's stream listeners
  DtlsClients dtls_;       ///< the DTLS sessions on this worker's UDP listeners
  /// Declared last: destroyed first, while everything its allocations' leases touch is there.
  AllocationTable allocations_;
};

}  // namespace turn
