// Owns the workers and the sockets; runs the control loop (signals) on the calling thread.
#pragma once

#include <uv.h>

#include <memory>
#include <vector>

#include "config/config.hpp"
#include "util/log.hpp"
#include "worker/shared_state.hpp"
#include "worker/worker.hpp"

namespace turn {

struct ServerTotals {
#define TURND_TOTAL_FIELD(name, help) std::uint64_t name = 0;
  TURND_WORKER_COUNTERS(TURND_TOTAL_FIELD)
#undef TURND_TOTAL_FIELD
  std::uint64_t active_allocations = 0;
};

/// The logging settings a configuration asks for (log-file, syslog, simple-log, verbose, ...).
log::Options log_options(const Config& config);

class Server {
 public:
  /// Opens every listening socket (one per worker per address) and starts the workers.
  /// Throws std::runtime_error naming the address when a socket cannot be bound.
  explicit Server(Config config);
  ~Server();

  /// Runs until SIGTERM/SIGINT or stop(). Returns the exit code.
  int run();
  /// Thread-safe.
  void stop();

  /// The bound listener addresses (with the real port when listening-port was 0).
  const std::vector<stun::SocketAddress>& listeners() const { return listeners_; }
  ServerTotals totals() const;
  std::size_t worker_count() const { return workers_.size(); }

 private:
  static void on_signal(uv_signal_t* handle, int signum);
  static void on_stop(uv_async_t* handle);
  void shutdown();

  Config config_;
  std::vector<stun::SocketAddress> listeners_;
  std::unique_ptr<SharedState> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uv_loop_t loop_{};
  uv_async_t stop_async_{};
  std::vector<std::unique_ptr<uv_signal_t>> signals_;
};

}  // namespace turn
