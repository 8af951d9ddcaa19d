#include "reload.hpp"

namespace turn {
namespace {

template <typename T>
void keep(const char* name, const T& running, T& next, std::vector<std::string>& changed) {
  if (!(running == next)) {
    changed.emplace_back(name);
    next = running;
  }
}

}  // namespace

std::vector<std::string> keep_restart_only(const Config& running, Config& next) {
  std::vector<std::string> changed;
  // The sockets are bound once, before the workers start (SO_REUSEPORT groups never change).
  keep("listening-port", running.listening_port, next.listening_port, changed);
  keep("listening-ip", running.listening_ips, next.listening_ips, changed);
  keep("no-udp", running.no_udp, next.no_udp, changed);
  keep("no-tcp", running.no_tcp, next.no_tcp, changed);
  keep("no-tls", running.no_tls, next.no_tls, changed);
  keep("dtls", running.dtls, next.dtls, changed);
  keep("tls-listening-port", running.tls_listening_port, next.tls_listening_port, changed);
  keep("alt-listening-port", running.alt_listening_port, next.alt_listening_port, changed);
  keep("alt-tls-listening-port", running.alt_tls_listening_port, next.alt_tls_listening_port,
       changed);
  // The metrics listener is bound once; its realm and user labels are fixed with it.
  keep("prometheus", running.prometheus, next.prometheus, changed);
  keep("prometheus-port", running.prometheus_port, next.prometheus_port, changed);
  keep("prometheus-address", running.prometheus_address, next.prometheus_address, changed);
  keep("prometheus-path", running.prometheus_path, next.prometheus_path, changed);
  keep("prometheus-username-labels", running.prometheus_username_labels,
       next.prometheus_username_labels, changed);
  keep("relay-threads", running.relay_threads, next.relay_threads, changed);
  // The port pool is sized at start; relay addresses of running allocations stay valid.
  keep("min-port", running.min_port, next.min_port, changed);
  keep("max-port", running.max_port, next.max_port, changed);
  // Nonces already issued are bound to the realm and lifetime they were issued under.
  keep("realm", running.realm, next.realm, changed);
  keep("stale-nonce", running.stale_nonce, next.stale_nonce, changed);
  keep("daemon", running.daemon, next.daemon, changed);
  keep("pidfile", running.pidfile, next.pidfile, changed);
  keep("proc-user", running.proc_user, next.proc_user, changed);
  keep("proc-group", running.proc_group, next.proc_group, changed);
  return changed;
}

}  // namespace turn
