// Owns the workers and the sockets; runs the control loop (signals) on the calling thread.
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admin/admin_backend.hpp"
#include "admin/admin_server.hpp"
#include "config/config.hpp"
#include "metrics/metrics_server.hpp"
#include "metrics/metrics_source.hpp"
#include "offload/kernel_offload.hpp"
#include "state/settings.hpp"
#include "state/shared_state.hpp"
#include "state/task_inbox.hpp"
#include "userdb/remote_db_watcher.hpp"
#include "userdb/source.hpp"
#include "util/log.hpp"
#include "worker/worker.hpp"

namespace turn {

/// The logging settings a configuration asks for (log-file, syslog, simple-log, verbose, ...).
log::Options log_options(const Config& config);

class Server final : public MetricsSource, public AdminBackend {
 public:
  /// Opens every listening socket (one per worker per address) and starts the workers.
  /// Throws std::runtime_error naming the address when a socket cannot be bound.
  explicit Server(Config config);
  ~Server();

  /// Runs until SIGTERM/SIGINT or stop(). Returns the exit code.
  int run();
  /// Thread-safe.
  void stop();

  /// How SIGHUP re-reads the configuration (the same file and command line as at start).
  /// Without one, SIGHUP only reopens the log file.
  void set_config_loader(std::function<Config()> loader) { loader_ = std::move(loader); }
  /// Re-reads configuration and users and hands them to the workers without dropping any
  /// allocation; options that need a restart keep their running value and are logged. On an
  /// error the running configuration stays. Runs on the control thread (SIGHUP).
  bool reload();
  /// SIGUSR1: refuse new allocations and stop once at most drain-min-allocations remain.
  void drain();
  bool draining() const { return shared_->draining.load(); }
  /// True from construction until run() returns.
  bool running() const { return running_.load(); }

  /// The bound UDP listener addresses (with the real port when listening-port was 0).
  const std::vector<stun::SocketAddress>& listeners() const { return listeners_; }
  /// The bound TCP listener addresses (TURN over TCP and TLS).
  const std::vector<stun::SocketAddress>& stream_listeners() const { return stream_listeners_; }
  /// SIGUSR2: loads the certificate and key again for new TLS/DTLS connections; on an error the
  /// running ones stay. Runs on the control thread.
  bool reload_tls();
  /// Thread-safe (relaxed loads): what the metrics scrape and the logs read.
  ServerTotals totals() const override;
  /// Whether the kernel fast path is attached (its filters need CAP_NET_ADMIN to come off).
  bool kernel_offload_attached() const { return offload_ != nullptr; }
  /// Thread-safe: ended sessions' traffic by user ("" = the realm's row), summed over workers.
  std::map<std::string, SessionTraffic> session_traffic() const override;
  /// Thread-safe: whether `source` is banned now (the built-in brute-force ban).
  bool banned(const stun::SocketAddress& source) const;
  /// The Prometheus exporter, or null when `prometheus` is off.
  const MetricsServer* metrics() const { return metrics_.get(); }
  /// The admin API, or null when it is off (no cli-password, or no-cli).
  const AdminServer* admin() const { return admin_.get(); }
  std::size_t worker_count() const override { return workers_.size(); }

  // AdminBackend: thread-safe; each call waits (bounded) for the loop that owns the state.
  std::optional<std::vector<SessionInfo>> admin_sessions(const std::string& user) override;
  std::optional<std::size_t> admin_end_sessions(const std::string& id,
                                                const std::string& user) override;
  std::optional<bool> admin_drain() override;
  std::optional<bool> admin_reload() override;
  std::optional<std::string> admin_config() override;
  std::vector<BanList::Ban> admin_bans() override;
  bool admin_unban(const std::string& source) override;
  LoopLag loop_lag(std::size_t index) const override;

 private:
  static void on_signal(uv_signal_t* handle, int signum);
  static void on_stop(uv_async_t* handle);
  static void on_userdb_timer(uv_timer_t* handle);
  static void on_control_tasks(uv_async_t* handle);
  static void on_remote_users(uv_async_t* handle);
  /// For a database server (redis-userdb, psql-userdb, mysql-userdb): reads it once now, with
  /// its bounded connect wait, into userdb_ (an unreachable one is logged and retried), and
  /// returns the reader for the watcher thread; nullptr when none is configured.
  std::unique_ptr<userdb::RemoteDb> read_remote_users(const Config& config, UserDbSource& into,
                                                      bool& reachable);
  /// Starts (or, when the database or userdb-refresh changed, restarts) the watcher thread.
  void watch_remote_users(std::unique_ptr<userdb::RemoteDb> db, bool reachable);
  /// Re-reads the user database when it changed (or always, with `force`) and hands the new
  /// snapshot to the workers; on an error the previous users stay.
  void refresh_users(bool force);
  /// The database's realm options (user-quota, total-quota) over the configured ones.
  void apply_limits(const UserDbSnapshot& users);
  /// The defences' settings from `config`: ban policy, connection caps (reload: live).
  void apply_guards(const Config& config);
  void shutdown();
  /// Binds the Prometheus and admin API listeners that are configured; throws
  /// std::runtime_error naming the address (the workers stopped first).
  void start_http();
  /// The TLS contexts for `config`, or null when it names no certificate. Throws ConfigError.
  static TlsContextPtr load_tls(const Config& config);
  /// Every address turnd listens on (UDP and TCP), which relays must never reach.
  std::vector<stun::SocketAddress> own_addresses() const;

  Config config_;
  std::function<Config()> loader_;
  std::atomic<bool> running_{true};
  std::atomic<bool> stopping_{false};
  bool shut_down_ = false;  ///< shutdown() ran (workers stopped, counters logged)
  SettingsPtr settings_;
  std::vector<stun::SocketAddress> listeners_;
  std::vector<stun::SocketAddress> stream_listeners_;
  std::unique_ptr<SharedState> shared_;
  /// Before the workers, so it outlives them: their allocations remove their flows as they end.
  std::unique_ptr<KernelOffload> offload_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uv_loop_t loop_{};
  uv_async_t stop_async_{};
  TaskInbox control_tasks_;  ///< the admin API's reload, drain and config, run on loop_
  uv_async_t control_tasks_async_{};
  std::vector<std::unique_ptr<uv_signal_t>> signals_;
  std::unique_ptr<UserDbSource> userdb_;
  uv_timer_t userdb_timer_{};
  /// Declared after workers_: destroyed (and its scrapes finished) before them.
  std::unique_ptr<MetricsServer> metrics_;
  /// Likewise: its requests wait on the workers and the control loop.
  std::unique_ptr<AdminServer> admin_;
  uv_async_t remote_users_async_{};  ///< the watcher's "new contents" (open while it runs)
  /// Last: stopped (its thread joined) before anything it wakes goes away.
  std::unique_ptr<userdb::RemoteDbWatcher> remote_users_;
};

}  // namespace turn
