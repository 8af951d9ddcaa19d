// turnd_load: drives a TURN server (or the turnd_floor forwarder) with many clients and reports
// relayed throughput, RTT and loss, or the allocation rate, as one JSON line.
//
// stdout carries only the protocol bench/compare.py reads live: "phase setup", "phase measure",
// "phase done", then the JSON line. Everything for humans goes to stderr.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "alloc_bench.hpp"
#include "client.hpp"
#include "clock.hpp"
#include "echo_peer.hpp"
#include "net.hpp"
#include "options.hpp"
#include "payload.hpp"
#include "report.hpp"
#include "setup.hpp"
#include "task_cpu.hpp"
#include "traffic.hpp"

namespace load {

namespace {

/// Setup handshakes in flight at once: enough to set up 10k clients in seconds, few enough not to
/// flood the server's receive queue.
constexpr std::size_t kSetupConcurrency = 200;
constexpr std::uint64_t kStragglerWaitNs = 300 * kNsPerMs;
constexpr std::uint64_t kReleaseBudgetNs = 5 * kNsPerSec;

void phase(const char* name) {
  std::printf("phase %s\n", name);
  std::fflush(stdout);
}

int fatal(const std::string& why) {
  std::cerr << "turnd_load: " << why << "\n";
  return 1;
}

Report base_report(const Options& o) {
  Report r;
  r.mode = to_string(o.mode);
  r.transport = to_string(o.transport);
  r.shape = o.mode == Mode::kAlloc ? "none" : o.mode == Mode::kHold ? "light" : to_string(o.shape);
  return r;
}

int run_alloc_mode(const Options& o, Window& window) {
  AllocResult a = run_alloc(o, window, phase);
  if (a.aborted || a.cycles_total == 0)
    return fatal("no allocation cycle succeeded: " + a.first_error);
  if (a.collisions > 0)
    std::cerr << "turnd_load: " << a.collisions << " cycles met a leftover allocation on their "
              << "port (437) and were retried on another\n";
  if (a.failures_total > 0)
    std::cerr << "turnd_load: " << a.failures_total << " cycles failed, first: " << a.first_error
              << "\n";
  Report r = base_report(o);
  r.clients = static_cast<std::int64_t>(o.inflight);
  r.duration_s = a.window_s;
  r.alloc_cycles = static_cast<std::int64_t>(a.cycles);
  r.alloc_failures = static_cast<std::int64_t>(a.failures);
  r.alloc_cycles_per_s = a.window_s > 0 ? static_cast<double>(a.cycles) / a.window_s : 0;
  r.alloc_p50_us = a.latency.quantile_us(0.50);
  r.alloc_p99_us = a.latency.quantile_us(0.99);
  print_json(r);
  return 0;
}

int run_traffic_mode(const Options& o, Window& window, EchoPeer& echo,
                     const stun::SocketAddress& peer) {
  const Credentials credentials{o.user, o.password};
  std::vector<Client> clients;
  clients.reserve(o.clients);
  for (std::size_t i = 0; i < o.clients; ++i)
    clients.emplace_back(static_cast<std::uint32_t>(i), &credentials,
                         o.mode == Mode::kSend ? Goal::kPermission : Goal::kChannel, peer,
                         o.transport == Transport::kTcp);

  const std::uint64_t t0 = now_ns();
  const SetupResult setup = run_setup(clients, o, signalling(o.mode), kSetupConcurrency);
  std::cerr << "turnd_load: setup: " << setup.ready << " ready, " << setup.failed << " failed in "
            << static_cast<double>(now_ns() - t0) / 1e9 << " s\n";
  if (setup.ready == 0)
    return fatal("every client's setup failed: " + setup.first_error);
  if (setup.failed > 0)
    std::cerr << "turnd_load: first setup failure: " << setup.first_error << "\n";

  Traffic traffic(o, clients, window, peer);
  traffic.start();
  // hold measures the server at rest with N allocations up, so it has no warmup.
  if (o.mode != Mode::kHold)
    sleep_until_ns(now_ns() + static_cast<std::uint64_t>(o.warmup_s * 1e9));
  window.open(now_ns());
  const auto cpu_start = process_cpu_ns();
  phase("measure");
  sleep_until_ns(window.start() + static_cast<std::uint64_t>(o.duration_s * 1e9));
  // Before the window closes: the sender thread exits as soon as it has, taking its time along.
  const auto cpu_end = process_cpu_ns();
  window.close(now_ns());
  phase("done");
  traffic.join_sender();
  sleep_until_ns(now_ns() + kStragglerWaitNs);
  traffic.stop_receiver();
  echo.stop();

  const SenderStats& tx = traffic.sender();
  const ReceiverStats& rx = traffic.receiver();
  if (tx.dropped > 0)
    std::cerr << "turnd_load: " << tx.dropped << " packets not sent (socket buffer full or "
              << "refused)\n";
  if (rx.stray > 0)
    std::cerr << "turnd_load: " << rx.stray << " datagrams were no echo of ours\n";
  if (traffic.keepalive_failures() > 0)
    std::cerr << "turnd_load: " << traffic.keepalive_failures() << " keepalives failed\n";

  Report r = base_report(o);
  r.clients = static_cast<std::int64_t>(o.clients);
  r.duration_s = static_cast<double>(window.end() - window.start()) / 1e9;
  r.sent = static_cast<std::int64_t>(tx.sent_in_window);
  r.received = static_cast<std::int64_t>(rx.received_in_window);
  r.peer_received = o.peer ? -1 : static_cast<std::int64_t>(echo.received_in_window());
  r.lost = r.sent > r.received ? r.sent - r.received : 0;
  r.loss_pct = r.sent > 0 ? 100.0 * static_cast<double>(r.lost) / static_cast<double>(r.sent) : 0;
  // Each echo crosses the server twice: client -> peer and peer -> client.
  r.relayed_packets = o.peer ? 2 * r.received : r.peer_received + r.received;
  r.relayed_pps = static_cast<double>(r.relayed_packets) / r.duration_s;
  r.offered_pps = static_cast<double>(r.sent) / r.duration_s;
  r.rtt_p50_us = rx.rtt.quantile_us(0.50);
  r.rtt_p99_us = rx.rtt.quantile_us(0.99);
  r.setup_failures = static_cast<std::int64_t>(setup.failed);
  if (cpu_start && cpu_end)
    r.cpu_ns = static_cast<std::int64_t>(*cpu_end - *cpu_start);
  print_json(r);

  // After the report, so that it costs the measurement nothing.
  if (signalling(o.mode)) {
    const SetupResult released = run_release(clients, o, kSetupConcurrency, kReleaseBudgetNs);
    if (released.failed > 0)
      std::cerr << "turnd_load: " << released.failed
                << " allocations not released: " << released.first_error << "\n";
  }
  if (r.sent > 0 && r.received == 0) {
    const auto refused = std::count_if(clients.begin(), clients.end(),
                                       [](const Client& c) { return c.conn.refused(); });
    return fatal("not one packet came back" +
                 (refused > 0
                      ? " (ICMP port unreachable: nothing listens on " + o.server.to_string() + ")"
                      : std::string()));
  }
  return 0;
}

int run(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  const std::size_t nofile = raise_nofile_limit();
  phase("setup");

  Window window;
  if (o.mode == Mode::kAlloc)
    return run_alloc_mode(o, window);

  if (o.clients + 64 > nofile)
    return fatal(std::to_string(o.clients) + " clients need more file descriptors than the " +
                 "limit of " + std::to_string(nofile));
  EchoPeer echo;
  stun::SocketAddress peer;
  if (o.peer) {
    peer = *o.peer;
  } else {
    std::string error;
    if (!echo.open(o.peer_bind, error))
      return fatal("echo peer: " + error);
    peer = echo.address();
    echo.start(window);
    std::cerr << "turnd_load: echo peer on " << peer.to_string() << "\n";
  }
  if (o.mode != Mode::kDirect)
    return run_traffic_mode(o, window, echo, peer);
  // direct: the clients' sockets connect to the echo peer instead of a server (--server is not
  // used), so the same traffic runs with no relay in between.
  Options direct = o;
  direct.server = peer;
  return run_traffic_mode(direct, window, echo, peer);
}

}  // namespace

}  // namespace load

int main(int argc, char** argv) {
  return load::run(argc, argv);
}
