#include "server.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <future>
#include <stdexcept>
#include <thread>

#include "config/config_loader.hpp"
#include "config/config_printer.hpp"
#include "net/listeners.hpp"
#include "net/local_addresses.hpp"
#include "net/uv_handle.hpp"
#include "offload/kernel_offload.hpp"
#include "reload.hpp"
#include "util/log.hpp"

namespace turn {
namespace {

unsigned workers_for(const Config& c) {
  if (c.relay_threads != 0)
    return c.relay_threads;
  const unsigned cpus = std::thread::hardware_concurrency();
  return cpus == 0 ? 1 : cpus;
}

std::vector<stun::SocketAddress> listen_addresses(const Config& c) {
  std::vector<stun::SocketAddress> ips =
      c.listening_ips.empty() ? local_addresses() : c.listening_ips;
  if (ips.empty())
    throw std::runtime_error("no local address to listen on");
  return ips;
}

/// The defences in force, for the startup log (README: Security).
void log_guards(const Config& c) {
  log::info("limits: " + std::to_string(c.max_allocation_permissions) + " permissions and " +
            std::to_string(c.max_allocation_channels) + " channels per allocation, " +
            std::to_string(c.max_tcp_peer_connections) +
            " RFC 6062 peer connections per allocation, " +
            std::to_string(c.max_connections_per_source) +
            " connections per source; unauthorized-ratelimit " +
            (c.unauthorized_ratelimit ? std::to_string(c.unauthorized_ratelimit_rps) + "/s"
                                      : std::string("off")) +
            ", request-ratelimit-rps " +
            (c.request_ratelimit_rps == 0 ? std::string("off")
                                          : std::to_string(c.request_ratelimit_rps)) +
            "; auth-ban " +
            (c.auth_ban ? std::to_string(c.auth_ban_maxretry) + " failures in " +
                              std::to_string(c.auth_ban_findtime) + " s ban for " +
                              std::to_string(c.auth_ban_bantime) + " s"
                        : std::string("off")));
  if (c.use_auth_secret && c.user_quota == 0) {
    log::warning(
        "use-auth-secret without user-quota: one REST credential can hold every relay port; "
        "set user-quota (turnd counts the user part of expiry:user, not each credential)");
  }
}

bool has_alternates(const Config& c) {
  return !c.alternate_servers.empty() || !c.tls_alternate_servers.empty() ||
         !c.udp_alternate_servers.empty() || !c.tcp_alternate_servers.empty();
}

/// ALTERNATE-SERVER: what this node redirects, for the startup and reload logs.
void log_alternates(const Config& c) {
  if (!has_alternates(c))
    return;
  if (c.no_auth) {
    log::warning(
        "alternate servers are set but no-auth is on: RFC 8489 §14.8 allows 300 Try Alternate "
        "only in answer to an authenticated request, so nothing is redirected");
    return;
  }
  auto join = [](const std::vector<stun::SocketAddress>& list) {
    std::string out;
    for (const auto& a : list)
      out += (out.empty() ? "" : ",") + a.to_string();
    return out.empty() ? std::string("-") : out;
  };
  log::info(std::string("alternate servers (mode ") +
            (c.alternate_server_mode == Config::AlternateMode::kOverflow ? "overflow" : "always") +
            "): alternate-server=" + join(c.alternate_servers) +
            " tls-alternate-server=" + join(c.tls_alternate_servers) +
            " udp-alternate-server=" + join(c.udp_alternate_servers) +
            " tcp-alternate-server=" + join(c.tcp_alternate_servers) +
            (c.alternate_domain.empty() ? "" : " alternate-domain=" + c.alternate_domain));
}

}  // namespace

namespace {

/// kernel-offload: the fast path on the devices carrying our addresses, or null (off, or auto
/// where it cannot load). Loaded here, before proc-user drops the privileges it needs.
std::unique_ptr<KernelOffload> open_offload(const Config& c,
                                            const std::vector<stun::SocketAddress>& addresses) {
  if (c.kernel_offload == Config::KernelOffload::kOff)
    return nullptr;
  std::string why;
  const std::vector<int> devices = offload_devices(addresses);
  auto offload = devices.empty() ? nullptr : KernelOffload::open(devices, why);
  if (devices.empty())
    why = "no device carries a listening or relay address";
  if (!offload) {
    if (c.kernel_offload == Config::KernelOffload::kOn)
      throw ConfigError("option 'kernel-offload': on, but the fast path cannot load: " + why);
    log::info("kernel offload unavailable (" + why + "): relaying in user space");
    return nullptr;
  }
  log::info("kernel offload: bound UDP channels relayed by a TC program on " +
            std::to_string(devices.size()) + " device(s)");
  return offload;
}

}  // namespace

log::Options log_options(const Config& c) {
  log::Options o;
  o.file = c.log_file;
  o.also_stdout = !c.no_stdout_log;
  o.syslog = c.syslog;
  o.syslog_facility = c.syslog_facility;
  o.simple = c.simple_log;
  o.timestamp_format = c.log_timestamp_format;
  o.json = c.log_format == "json";
  o.level = c.verbose >= 2   ? log::Level::kDebug
            : c.verbose == 1 ? log::Level::kVerbose
                             : log::Level::kInfo;
  if (!c.log_min_level.empty())
    log::parse_level(c.log_min_level, o.level);
  return o;
}

Server::Server(Config config) : config_(std::move(config)) {
  // OpenSSL writes TLS records with write(), which raises SIGPIPE when a client has reset its
  // connection; the error is handled where it is returned, so the signal must not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  const unsigned n = workers_for(config_);
  const auto ips = listen_addresses(config_);
  TlsContextPtr tls = load_tls(config_);  // ConfigError: a startup error naming the option
  BoundListeners bound = bind_listeners(config_, plan_listeners(config_, tls != nullptr), ips, n);
  listeners_ = bound.udp;
  stream_listeners_ = bound.tcp;
  userdb_ = std::make_unique<UserDbSource>(config_);
  bool remote_reachable = false;
  auto remote_db = read_remote_users(config_, *userdb_, remote_reachable);
  auto users = userdb_->reload();  // UserDbError: a startup error naming the file
  for (const auto& w : users->warnings())
    log::warning(w);
  shared_ = std::make_unique<SharedState>(config_, users, own_addresses());
  apply_limits(*users);
  apply_guards(config_);
  settings_ = std::make_shared<const Settings>(config_, own_addresses(), &shared_->ports.live, tls);
  shared_->handoffs.resize(n);
  // The devices of the listening and of the relay addresses: peers' packets arrive on the
  // relay's (the two-NIC deployment), clients' on the listener's.
  std::vector<stun::SocketAddress> offload_addresses = own_addresses();
  offload_addresses.insert(offload_addresses.end(), config_.relay_ips.begin(),
                           config_.relay_ips.end());
  offload_ = open_offload(config_, offload_addresses);
  shared_->offload = offload_.get();
  for (unsigned w = 0; w < n; ++w) {
    auto worker = std::make_unique<Worker>(w, *shared_, settings_);
    for (std::size_t i = 0; i < listeners_.size(); ++i)
      worker->add_listener(bound.udp_fds[w][i], listeners_[i]);
    for (std::size_t i = 0; i < stream_listeners_.size(); ++i)
      worker->add_stream_listener(bound.tcp_fds[w][i], stream_listeners_[i]);
    workers_.push_back(std::move(worker));
  }
  bound.release();  // the workers own the sockets now
  start_http();

  uv_require(uv_loop_init(&loop_), "control loop");
  uv_require(uv_async_init(&loop_, &stop_async_, &Server::on_stop), "control stop async");
  stop_async_.data = this;
  uv_require(uv_async_init(&loop_, &control_tasks_async_, &Server::on_control_tasks),
             "control task async");
  control_tasks_async_.data = this;
  control_tasks_.open(
      [this] { uv_succeeded(uv_async_send(&control_tasks_async_), "control task"); });
  uv_require(uv_async_init(&loop_, &remote_users_async_, &Server::on_remote_users),
             "user database async");
  remote_users_async_.data = this;
  watch_remote_users(std::move(remote_db), remote_reachable);
  // Users added or removed with turnadmin apply within about a second, without SIGHUP.
  uv_require(uv_timer_init(&loop_, &userdb_timer_), "user database timer");
  userdb_timer_.data = this;
  uv_require(uv_timer_start(&userdb_timer_, &Server::on_userdb_timer, 1000, 1000),
             "user database timer start");
  for (int signum : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) {
    auto s = std::make_unique<uv_signal_t>();
    uv_require(uv_signal_init(&loop_, s.get()), "signal handler");
    s->data = this;
    uv_require(uv_signal_start(s.get(), &Server::on_signal, signum), "signal handler start");
    signals_.push_back(std::move(s));
  }

  for (const auto& l : listeners_)
    log::info("listening on UDP " + l.to_string());
  for (const auto& l : stream_listeners_)
    log::info("listening on TCP " + l.to_string() + (tls ? " (TCP and TLS)" : ""));
  if (tls) {
    log::info("TLS: " + tls->description() + (config_.dtls ? "; DTLS on" : "; DTLS off"));
  } else {
    log::info("TLS off: no cert configured");
  }
  for (const auto& line : settings_->policy.describe())
    log::info("peer policy: " + line);
  log_guards(config_);
  log_alternates(config_);
  log::info("relay ports " + std::to_string(config_.min_port) + "-" +
            std::to_string(config_.max_port) + ", realm " + config_.realm + ", " +
            std::to_string(n) + " worker(s)");
  for (auto& w : workers_)
    w->start();
}

void Server::start_http() {
  // After the workers exist (a scrape reads their counters), before the control loop's handles.
  try {
    if (config_.prometheus)
      metrics_ = std::make_unique<MetricsServer>(*this, config_);
    if (config_.admin_api())
      admin_ = std::make_unique<AdminServer>(*this, config_);
  } catch (...) {
    metrics_.reset();
    // A startup error: let the workers close their loops so they can be destroyed cleanly.
    for (auto& w : workers_) {
      w->start();
      w->request_stop();
    }
    for (auto& w : workers_)
      w->join();
    throw;
  }
  if (metrics_)
    log::info("prometheus: serving " + metrics_->url());
}

Server::~Server() {
  shutdown();
  // When run() never ran (or never saw stop()), the signal handles are still registered in
  // libuv's process-wide signal table: close them before their memory goes away.
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&stop_async_))) {
    on_stop(&stop_async_);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_succeeded(uv_loop_close(&loop_), "control loop close");
}

int Server::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  shutdown();
  running_ = false;
  return 0;
}

void Server::stop() {
  // After the control loop closed its handles (drain, a signal) there is nothing to wake.
  if (!stopping_.load())
    uv_succeeded(uv_async_send(&stop_async_), "server stop");
}

void Server::on_stop(uv_async_t* handle) {
  auto* self = static_cast<Server*>(handle->data);
  if (self->stopping_.exchange(true))
    return;  // closing twice would abort libuv
  uv_close(reinterpret_cast<uv_handle_t*>(&self->userdb_timer_), nullptr);
  self->remote_users_.reset();  // joins its thread: nothing wakes the async after this
  uv_close(reinterpret_cast<uv_handle_t*>(&self->remote_users_async_), nullptr);
  for (auto& s : self->signals_)
    uv_close(reinterpret_cast<uv_handle_t*>(s.get()), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_async_), nullptr);
  // Tasks still queued are dropped: their admin requests answer 503 at once.
  self->control_tasks_.close(
      [self] { uv_close(reinterpret_cast<uv_handle_t*>(&self->control_tasks_async_), nullptr); });
}

void Server::on_control_tasks(uv_async_t* handle) {
  static_cast<Server*>(handle->data)->control_tasks_.run_posted();
}

void Server::on_signal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Server*>(handle->data);
  if (signum == SIGHUP) {
    self->reload();
    return;
  }
  if (signum == SIGUSR1) {
    self->drain();
    return;
  }
  if (signum == SIGUSR2) {
    self->reload_tls();
    return;
  }
  log::info(std::string("signal ") + ::strsignal(signum) + ": stopping");
  on_stop(&self->stop_async_);
}

std::unique_ptr<userdb::RemoteDb> Server::read_remote_users(const Config& config,
                                                            UserDbSource& into, bool& reachable) {
  const auto spec = userdb::RemoteDbSpec::from(config);
  reachable = false;
  if (!spec.configured())
    return nullptr;
  auto db = std::make_unique<userdb::RemoteDb>(spec);
  // A restart with the database down still starts (coturn does too): the static users and
  // REST secrets of the config serve, and the watcher retries until the database is back.
  try {
    auto contents = db->read();
    log::info("user database " + spec.describe() + ": " + std::to_string(contents.users.size()) +
              " user(s), " + std::to_string(contents.secrets.size()) + " secret(s)");
    into.set_remote(spec.describe(), std::move(contents));
    reachable = true;
  } catch (const std::exception& e) {
    log::error("user database " + spec.describe() + ": " + e.what() +
               "; starting without its users, retrying until it is reachable");
    into.set_remote(spec.describe(), std::nullopt);
  }
  return db;
}

void Server::watch_remote_users(std::unique_ptr<userdb::RemoteDb> db, bool reachable) {
  remote_users_.reset();
  if (!db)
    return;
  remote_users_ = std::make_unique<userdb::RemoteDbWatcher>(
      std::move(*db), config_.userdb_refresh, reachable, userdb_->remote(),
      [this] { uv_succeeded(uv_async_send(&remote_users_async_), "user database update"); });
}

void Server::on_remote_users(uv_async_t* handle) {
  auto* self = static_cast<Server*>(handle->data);
  if (!self->remote_users_)
    return;
  if (auto contents = self->remote_users_->take()) {
    self->userdb_->set_remote(self->remote_users_->spec().describe(), std::move(contents));
    self->refresh_users(true);
  }
}

void Server::on_userdb_timer(uv_timer_t* handle) {
  auto* self = static_cast<Server*>(handle->data);
  self->refresh_users(false);
  for (const auto& source : self->shared_->bans.expire(static_cast<std::uint64_t>(::time(nullptr))))
    log::warning("auth ban: " + source + " unbanned");
  if (self->draining()) {
    const auto left = self->totals().active_allocations;
    if (left <= self->config_.drain_min_allocations) {
      log::info("drain: " + std::to_string(left) + " allocation(s) left, stopping");
      on_stop(&self->stop_async_);
    }
  }
}

void Server::drain() {
  if (shared_->draining.exchange(true))
    return;
  const bool redirect = !config_.no_auth && has_alternates(config_);
  log::info(std::string("SIGUSR1: draining: new allocations are ") +
            (redirect ? "redirected to the alternate servers" : "refused") +
            "; stopping once at most " + std::to_string(config_.drain_min_allocations) +
            " allocation(s) remain (now " + std::to_string(totals().active_allocations) + ")");
}

void Server::apply_guards(const Config& c) {
  shared_->bans.set_policy(BanPolicy::from(c));
  unsigned total = c.max_connections;
  if (total == 0) {
    // Half the open-file limit: the other half is for relay sockets and everything else.
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    total =
        static_cast<unsigned>(std::max<rlim_t>(64, std::min<rlim_t>(files.rlim_cur / 2, 1u << 24)));
  }
  shared_->connections.set_limits(c.max_connections_per_source, total);
}

bool Server::banned(const stun::SocketAddress& source) const {
  return shared_->bans.banned(source, static_cast<std::uint64_t>(::time(nullptr)));
}

void Server::refresh_users(bool force) {
  if (!force && !userdb_->changed())
    return;
  try {
    auto users = userdb_->reload();
    for (const auto& w : users->warnings())
      log::warning(w);
    shared_->auth.set_users(users);
    apply_limits(*users);
    log::info("user database " + userdb_->describe() +
              " reloaded: " + std::to_string(users->user_count()) + " user(s)");
  } catch (const std::exception& e) {
    log::error(std::string("user database: ") + e.what() + " (the previous users stay)");
  }
}

void Server::apply_limits(const UserDbSnapshot& users) {
  unsigned user_quota = config_.user_quota;
  unsigned total_quota = config_.total_quota;
  if (const RealmOptions* o = users.realm_options(config_.realm)) {
    if (o->user_quota)
      user_quota = static_cast<unsigned>(*o->user_quota);
    if (o->total_quota)
      total_quota = static_cast<unsigned>(*o->total_quota);
  }
  shared_->quota.set_limits(user_quota, total_quota);
  std::uint64_t max_bps = config_.max_bps;
  if (const RealmOptions* o = users.realm_options(config_.realm); o && o->max_bps) {
    max_bps = *o->max_bps;
  }
  shared_->max_bps.store(max_bps, std::memory_order_relaxed);
}

bool Server::reload() {
  if (!loader_) {
    log::configure(log_options(config_));
    log::info("SIGHUP: log file reopened");
    return true;
  }
  Config next;
  std::unique_ptr<UserDbSource> source;
  std::shared_ptr<const UserDbSnapshot> users;
  std::unique_ptr<userdb::RemoteDb> remote_db;
  bool remote_reachable = false;
  bool remote_changed = false;
  std::vector<std::string> restart_needed;
  try {
    next = loader_();
    // First put back what cannot change live, so the users' keys are built for the realm the
    // server keeps running with.
    restart_needed = keep_restart_only(config_, next);
    source = std::make_unique<UserDbSource>(next);
    // The same database server: its last contents carry over (the watcher reads it again
    // below); another one is read now, like at startup.
    if (remote_users_ && remote_users_->spec() == userdb::RemoteDbSpec::from(next)) {
      source->set_remote(remote_users_->spec().describe(), userdb_->remote());
    } else {
      remote_db = read_remote_users(next, *source, remote_reachable);
      remote_changed = true;
    }
    users = source->reload();
  } catch (const std::exception& e) {
    log::error(std::string("reload failed, the running configuration stays: ") + e.what());
    return false;
  }
  if (!log::configure(log_options(next))) {
    log::error("reload: cannot open log file " + next.log_file + "; logging unchanged");
  }
  for (const auto& name : restart_needed) {
    log::warning("reload: option '" + name + "' changed; it takes effect after a restart");
  }
  TlsContextPtr tls = settings_->tls;
  if (!next.cert.empty()) {
    // SIGHUP also picks up renewed certificates; a broken one keeps the running context.
    try {
      tls = load_tls(next);
    } catch (const std::exception& e) {
      log::error(std::string("reload: TLS certificate not reloaded: ") + e.what());
    }
  }
  settings_ = std::make_shared<const Settings>(next, own_addresses(), &shared_->ports.live, tls);
  userdb_ = std::move(source);
  for (const auto& w : users->warnings())
    log::warning(w);
  const bool refresh_changed = next.userdb_refresh != config_.userdb_refresh;
  config_ = std::move(next);
  if (remote_changed) {
    watch_remote_users(std::move(remote_db), remote_reachable);
  } else if (remote_users_ && refresh_changed) {
    watch_remote_users(std::make_unique<userdb::RemoteDb>(remote_users_->spec()), true);
  } else if (remote_users_) {
    remote_users_->refresh_now();
  }
  shared_->auth.set_users(users);
  apply_limits(*users);
  apply_guards(config_);
  for (auto& w : workers_)
    w->post_settings(settings_);
  log_alternates(config_);
  log::info("reload: configuration and users applied; " +
            std::to_string(totals().active_allocations) + " allocation(s) kept");
  for (const auto& line : settings_->policy.describe())
    log::info("peer policy: " + line);
  return true;
}

TlsContextPtr Server::load_tls(const Config& config) {
  if (config.cert.empty())
    return nullptr;
  return TlsContext::load(config);
}

std::vector<stun::SocketAddress> Server::own_addresses() const {
  std::vector<stun::SocketAddress> own = listeners_;
  own.insert(own.end(), stream_listeners_.begin(), stream_listeners_.end());
  return own;
}

bool Server::reload_tls() {
  if (config_.cert.empty()) {
    log::info("SIGUSR2: no cert configured, nothing to reload");
    return false;
  }
  TlsContextPtr tls;
  try {
    tls = load_tls(config_);
  } catch (const std::exception& e) {
    log::error(std::string("SIGUSR2: certificate not reloaded, the running one stays: ") +
               e.what());
    return false;
  }
  // Same configuration, new certificate: existing connections keep theirs (each SSL holds a
  // reference to the context it started with); new connections get the new one.
  settings_ = std::make_shared<const Settings>(config_, own_addresses(), &shared_->ports.live, tls);
  for (auto& w : workers_)
    w->post_settings(settings_);
  log::info("SIGUSR2: TLS certificate reloaded: " + tls->description());
  return true;
}

void Server::shutdown() {
  // run() and the destructor both end here; the second call has nothing left to do.
  if (shut_down_)
    return;
  shut_down_ = true;
  if (admin_)
    admin_->stop();
  if (metrics_)
    metrics_->stop();
  for (auto& w : workers_)
    w->request_stop();
  for (auto& w : workers_)
    w->join();
  // The counters' final values, for operators without a metrics scrape (and for benchmarks).
  const ServerTotals t = totals();
  std::string line = "counters at exit:";
#define TURND_APPEND_COUNTER(name, help) \
  if (t.name != 0)                       \
    line += " " #name "=" + std::to_string(t.name);
  TURND_WORKER_COUNTERS(TURND_APPEND_COUNTER)
#undef TURND_APPEND_COUNTER
  log::info(line);
}

ServerTotals Server::totals() const {
  ServerTotals t;
  for (const auto& w : workers_) {
    const WorkerStats& s = w->stats();
#define TURND_SUM_FIELD(name, help) t.name += s.name.load(std::memory_order_relaxed);
    TURND_WORKER_COUNTERS(TURND_SUM_FIELD)
#undef TURND_SUM_FIELD
    t.active_allocations += s.active_allocations.load(std::memory_order_relaxed);
    t.active_connections += s.active_connections.load(std::memory_order_relaxed);
    t.offloaded_flows += s.offloaded_flows.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < kClientTransports; ++i) {
      t.active_allocations_by_transport[i] +=
          s.active_allocations_by_transport[i].load(std::memory_order_relaxed);
    }
  }
  if (offload_) {
    static_assert(KernelOffload::kFallbackReasons == ServerTotals::kOffloadFallbackReasons);
    const auto fallbacks = offload_->fallbacks();
    std::copy(fallbacks.begin(), fallbacks.end(), t.offload_fallbacks.begin());
  }
  t.banned_sources = shared_->bans.banned_count();
  t.bans = shared_->bans.bans_total();
  t.ratelimit_collisions = shared_->unauthorized_answers.collisions();
  t.ratelimit_occupied_buckets =
      shared_->unauthorized_answers.occupied(static_cast<std::uint32_t>(::time(nullptr)));
  t.relay_ports_free = shared_->ports.available();
  t.relay_ports_total = static_cast<std::uint64_t>(config_.max_port) - config_.min_port + 1;
  return t;
}

LoopLag Server::loop_lag(std::size_t index) const {
  LoopLag lag;
  const LoopLagHistogram& h = workers_.at(index)->stats().loop_lag;
  for (std::size_t i = 0; i < lag.buckets.size(); ++i)
    lag.buckets[i] = h.buckets[i].load(std::memory_order_relaxed);
  lag.sum_us = h.sum_us.load(std::memory_order_relaxed);
  return lag;
}

std::map<std::string, SessionTraffic> Server::session_traffic() const {
  std::map<std::string, SessionTraffic> rows;
  for (const auto& w : workers_)
    w->stats().session_traffic.sum_into(rows);
  return rows;
}

namespace {

/// How long an admin request waits for the loop that owns what it asks about.
constexpr auto kAdminAnswerTimeout = std::chrono::seconds(5);

/// Runs `work` on the loop `post` reaches and waits for its result; empty when the loop is not
/// running, drops the task (shutdown) or does not answer in time.
template <typename T, typename Post, typename Work>
std::optional<T> ask(Post&& post, Work work) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> answer = promise->get_future();
  if (!post([promise, work]() mutable { promise->set_value(work()); }))
    return std::nullopt;
  if (answer.wait_for(kAdminAnswerTimeout) != std::future_status::ready)
    return std::nullopt;
  try {
    return answer.get();
  } catch (const std::future_error&) {
    return std::nullopt;  // the task was dropped unrun
  }
}

}  // namespace

std::optional<std::vector<SessionInfo>> Server::admin_sessions(const std::string& user) {
  std::vector<SessionInfo> all;
  for (auto& w : workers_) {
    Worker* worker = w.get();
    auto part = ask<std::vector<SessionInfo>>(
        [worker](TaskInbox::Task t) { return worker->post_task(std::move(t)); },
        [worker, user] { return worker->sessions(user); });
    if (!part)
      return std::nullopt;
    all.insert(all.end(), std::make_move_iterator(part->begin()),
               std::make_move_iterator(part->end()));
  }
  return all;
}

std::optional<std::size_t> Server::admin_end_sessions(const std::string& id,
                                                      const std::string& user) {
  std::size_t ended = 0;
  for (auto& w : workers_) {
    Worker* worker = w.get();
    unsigned index = 0;
    std::uint64_t serial = 0;
    if (!id.empty() && (!parse_session_id(id, index, serial) || index != worker->index()))
      continue;
    auto n = ask<std::size_t>(
        [worker](TaskInbox::Task t) { return worker->post_task(std::move(t)); },
        [worker, id, serial, user]() -> std::size_t {
          return id.empty() ? worker->end_user_sessions(user) : worker->end_session(serial);
        });
    if (!n)
      return std::nullopt;
    ended += *n;
  }
  log::info("admin API: ended " + std::to_string(ended) + " session(s) " +
            (id.empty() ? "of user " + log::sanitize(user) : log::sanitize(id)));
  return ended;
}

std::optional<bool> Server::admin_drain() {
  return ask<bool>([this](TaskInbox::Task t) { return control_tasks_.post(std::move(t)); },
                   [this] {
                     drain();
                     return draining();
                   });
}

std::optional<bool> Server::admin_reload() {
  return ask<bool>([this](TaskInbox::Task t) { return control_tasks_.post(std::move(t)); },
                   [this] { return reload(); });
}

std::optional<std::string> Server::admin_config() {
  return ask<std::string>([this](TaskInbox::Task t) { return control_tasks_.post(std::move(t)); },
                          [this] { return describe_config(config_); });
}

std::vector<BanList::Ban> Server::admin_bans() {
  return shared_->bans.bans();
}

bool Server::admin_unban(const std::string& source) {
  const bool lifted = shared_->bans.unban(source);
  if (lifted)
    log::info("admin API: ban of " + log::sanitize(source) + " lifted");
  return lifted;
}

}  // namespace turn
