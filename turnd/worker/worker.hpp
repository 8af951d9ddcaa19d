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
#include "net/recv_batch.hpp"
#include "net/tx_queue.hpp"
#include "util/stats.hpp"
#include "worker/batch_pacer.hpp"
#include "worker/settings.hpp"
#include "worker/shared_state.hpp"

namespace turn {

class Worker;

struct Listener {
  uv_poll_t poll{};
  int fd = -1;
  std::uint32_t index = 0;
  stun::SocketAddress local;
  Worker* worker = nullptr;
};

/// How the relay port is chosen (RFC 8656 §7.2).
struct PortRequest {
  bool even = false;
  bool reserve_next = false;
  std::optional<std::uint64_t> reservation_token;
};

class Worker {
 public:
  Worker(unsigned index, SharedState& shared, SettingsPtr settings);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Before start(): adds a socket bound to `local`.
  void add_listener(int fd, const stun::SocketAddress& local);
  void start();
  /// Thread-safe: asks the loop to close everything and return.
  void request_stop();
  /// Thread-safe: the loop switches to `settings` at its next iteration (SIGHUP reload).
  /// Existing allocations keep running; new lifetimes, policy and limits apply to new requests.
  void post_settings(SettingsPtr settings);
  void join();

  unsigned index() const { return index_; }
  const WorkerStats& stats() const { return stats_; }

  // Used by the handlers and the relay path, on this worker's thread only.
  SharedState& shared() { return shared_; }
  const Settings& settings() const { return *settings_; }
  const Config& config() const { return settings_->config; }
  WorkerStats& counters() { return stats_; }
  std::uint64_t now_ms() const { return uv_now(loop_.get()); }
  const Listener& listener(std::uint32_t index) const { return *listeners_[index]; }
  Allocation* find_allocation(const ClientKey& key);
  /// Opens the relay socket and registers the allocation; nullptr when no port could be bound
  /// (508) or the reservation token is unknown.
  Allocation* create_allocation(const ClientKey& key, const stun::SocketAddress& relay_ip,
                                const PortRequest& ports, std::optional<std::uint64_t>& token);
  void remove_allocation(Allocation& a, const char* why);
  /// Sends a response now (it lives in tx_buffer(), which the next request reuses).
  void send_to_client(const ClientKey& key, stun::Bytes datagram);
  /// Relayed datagrams: queued, sent in batches once per loop iteration. `datagram` must lie in
  /// the receive buffers (or stay valid some other way) until then.
  void relay_to_client(const ClientKey& key, stun::Bytes datagram) {
    tx_queue_->push(listeners_[key.listener]->fd, key.client, datagram.data(), datagram.size());
  }
  void relay_to_peer(const Allocation& a, const stun::SocketAddress& peer, stun::Bytes datagram) {
    tx_queue_->push(a.relay_fd(), peer, datagram.data(), datagram.size());
  }
  /// A buffer for building one response; valid until the next call.
  stun::MutableBytes tx_buffer() { return tx_; }

 private:
  static void on_listener_readable(uv_poll_t* handle, int status, int events);
  static void on_relay_readable(uv_poll_t* handle, int status, int events);
  static void on_stop(uv_async_t* handle);
  static void on_settings(uv_async_t* handle);
  static void on_sweep(uv_timer_t* handle);
  static void on_loop_check(uv_check_t* handle);
  /// Sends the queued relayed datagrams and frees the receive slots they pointed into.
  void flush_relayed();
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
  struct BoundRelay {
    int fd = -1;
    stun::SocketAddress address;
  };
  /// Binds the relay socket for a new allocation (and, for EVEN-PORT with R, port+1 too);
  /// fd -1 when no port could be had.
  BoundRelay bind_relay(const stun::SocketAddress& relay_ip, const PortRequest& request,
                        std::optional<std::uint64_t>& token);

  unsigned index_;
  SharedState& shared_;
  SettingsPtr settings_;
  std::mutex pending_mu_;
  SettingsPtr pending_settings_;  ///< posted by the control thread, taken by on_settings
  uv_async_t settings_async_{};
  std::unique_ptr<uv_loop_t> loop_;
  uv_async_t stop_async_{};
  uv_timer_t sweep_timer_{};
  uv_check_t flush_check_{};  ///< runs after each poll phase: one flush per loop iteration
  std::thread thread_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<ClientKey, std::unique_ptr<Allocation>, ClientKeyHash> allocations_;
  std::unique_ptr<RecvBatch> batch_;
  std::unique_ptr<TxQueue> tx_queue_;
  BatchPacer pacer_;
  std::uint64_t received_before_ = 0;  ///< recvmmsg_packets at the end of the last iteration
  std::vector<std::uint8_t> tx_storage_;
  stun::MutableBytes tx_;
  WorkerStats stats_;
};

}  // namespace turn
