#include "metrics/metrics_server.hpp"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include <array>
#include <limits>
#include <map>
#include <stdexcept>
#include <string_view>

#include "guard/source_rate_table.hpp"

namespace turn {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily& family(std::vector<MetricFamily>& out, std::string name, std::string help,
                     MetricType type) {
  out.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
  return out.back();
}

void sample(MetricFamily& f, double value, Labels labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Gauge) {
    m.gauge.value = value;
  } else {
    m.counter.value = value;
  }
  f.metric.push_back(std::move(m));
}

void counter(std::vector<MetricFamily>& out, std::string name, std::string help,
             std::uint64_t value) {
  sample(family(out, std::move(name), std::move(help), MetricType::Counter),
         static_cast<double>(value));
}

void gauge(std::vector<MetricFamily>& out, std::string name, std::string help,
           std::uint64_t value) {
  sample(family(out, std::move(name), std::move(help), MetricType::Gauge),
         static_cast<double>(value));
}

/// The counters coturn's names already carry; every other one is served as turnd_<name>_total.
bool has_coturn_name(std::string_view name) {
  for (std::string_view n :
       {"stun_binding_requests", "stun_binding_errors", "client_to_peer_packets",
        "client_to_peer_bytes", "peer_to_client_packets", "peer_to_client_bytes", "recvmmsg_calls",
        "recvmmsg_packets", "relay_send_calls", "relay_sent_datagrams", "relay_gso_batches",
        "unauthenticated_401_requests", "unauthenticated_401_responses",
        "unauthenticated_401_dropped"}) {
    if (n == name)
      return true;
  }
  return false;
}

/// coturn's turn_traffic_* ({realm[,user]}), from the sessions that have ended.
void session_traffic(std::vector<MetricFamily>& out, const MetricsSource& server,
                     const std::string& realm, bool username_labels) {
  auto rows = server.session_traffic();
  if (!username_labels)
    rows.try_emplace("");  // the realm's row exists from the start, at 0
  struct Column {
    const char* name;
    const char* help;
    std::uint64_t SessionTraffic::*field;
  };
  static constexpr std::array<Column, 8> kColumns = {{
      {"turn_traffic_rcvp", "Packets received from clients, by ended sessions",
       &SessionTraffic::client_packets},
      {"turn_traffic_rcvb", "Bytes received from clients, by ended sessions",
       &SessionTraffic::client_bytes},
      {"turn_traffic_sentp", "Packets sent to clients, by ended sessions",
       &SessionTraffic::peer_packets},
      {"turn_traffic_sentb", "Bytes sent to clients, by ended sessions",
       &SessionTraffic::peer_bytes},
      {"turn_traffic_peer_rcvp", "Packets received from peers, by ended sessions",
       &SessionTraffic::peer_packets},
      {"turn_traffic_peer_rcvb", "Bytes received from peers, by ended sessions",
       &SessionTraffic::peer_bytes},
      {"turn_traffic_peer_sentp", "Packets sent to peers, by ended sessions",
       &SessionTraffic::client_packets},
      {"turn_traffic_peer_sentb", "Bytes sent to peers, by ended sessions",
       &SessionTraffic::client_bytes},
  }};
  for (const Column& c : kColumns) {
    MetricFamily& f = family(out, c.name, c.help, MetricType::Counter);
    for (const auto& [user, t] : rows) {
      Labels labels = {{"realm", realm}};
      if (username_labels)
        labels.push_back({"user", user});
      sample(f, static_cast<double>(t.*c.field), std::move(labels));
    }
  }
}

class Collector : public prometheus::Collectable {
 public:
  Collector(const MetricsSource& server, std::string realm, bool username_labels)
      : server_(server), realm_(std::move(realm)), username_labels_(username_labels) {}
  std::vector<MetricFamily> Collect() const override {
    return collect_metrics(server_, realm_, username_labels_);
  }

 private:
  const MetricsSource& server_;
  std::string realm_;
  bool username_labels_;
};

/// `GET /`: 200 with no metrics (coturn's health check).
class Empty : public prometheus::Collectable {
 public:
  std::vector<MetricFamily> Collect() const override { return {}; }
};

}  // namespace

std::vector<MetricFamily> collect_metrics(const MetricsSource& server, const std::string& realm,
                                          bool username_labels) {
  const ServerTotals t = server.totals();
  std::vector<MetricFamily> out;
  // coturn's totals since start (prom_server.c).
  counter(out, "turn_total_traffic_rcvp", "Packets received from clients (relayed to peers)",
          t.client_to_peer_packets);
  counter(out, "turn_total_traffic_rcvb", "Payload bytes received from clients (relayed to peers)",
          t.client_to_peer_bytes);
  counter(out, "turn_total_traffic_sentp", "Packets sent to clients (relayed from peers)",
          t.peer_to_client_packets);
  counter(out, "turn_total_traffic_sentb", "Payload bytes sent to clients (relayed from peers)",
          t.peer_to_client_bytes);
  counter(out, "turn_total_traffic_peer_rcvp", "Packets received from peers",
          t.peer_to_client_packets);
  counter(out, "turn_total_traffic_peer_rcvb", "Payload bytes received from peers",
          t.peer_to_client_bytes);
  counter(out, "turn_total_traffic_peer_sentp", "Packets sent to peers", t.client_to_peer_packets);
  counter(out, "turn_total_traffic_peer_sentb", "Payload bytes sent to peers",
          t.client_to_peer_bytes);
  session_traffic(out, server, realm, username_labels);
  {
    MetricFamily& f = family(out, "turn_total_allocations",
                             "Active allocations by client transport", MetricType::Gauge);
    // coturn's socket_type_name(): TLS is "TLS/TCP" there.
    const std::pair<ClientTransport, const char*> types[] = {{ClientTransport::kUdp, "UDP"},
                                                             {ClientTransport::kTcp, "TCP"},
                                                             {ClientTransport::kTls, "TLS/TCP"},
                                                             {ClientTransport::kDtls, "DTLS"}};
    for (const auto& [transport, type] : types) {
      const auto n = t.active_allocations_by_transport[static_cast<std::size_t>(transport)];
      sample(f, static_cast<double>(n), {{"type", type}});
    }
  }
  counter(out, "stun_binding_request", "STUN Binding requests", t.stun_binding_requests);
  counter(out, "stun_binding_response", "STUN Binding success responses",
          t.stun_binding_requests - t.stun_binding_errors);
  counter(out, "stun_binding_error", "STUN Binding error responses", t.stun_binding_errors);
  counter(out, "turn_udp_recvmmsg_calls", "recvmmsg calls", t.recvmmsg_calls);
  counter(out, "turn_udp_recvmmsg_packets", "Datagrams returned by recvmmsg", t.recvmmsg_packets);
  counter(out, "turn_udp_sendmmsg_flushes", "sendmmsg/sendmsg calls carrying relayed datagrams",
          t.relay_send_calls);
  counter(out, "turn_udp_sendmmsg_datagrams", "Relayed datagrams handed to the kernel",
          t.relay_sent_datagrams);
  counter(out, "turn_udp_sendmmsg_gso_datagrams",
          "UDP GSO sends carrying several relayed datagrams (turnd counts sends, not datagrams)",
          t.relay_gso_batches);
  // coturn 4.14's 401 rate limit (docs/401-ratelimit.md): UDP 401s and the bucket table.
  counter(out, "turn_unauthenticated_401_requests", "Requests that required a UDP 401 response",
          t.unauthenticated_401_requests);
  counter(out, "turn_unauthenticated_401_responses", "UDP 401 responses emitted",
          t.unauthenticated_401_responses);
  counter(out, "turn_unauthenticated_401_dropped_responses",
          "UDP 401 responses suppressed by unauthorized-ratelimit", t.unauthenticated_401_dropped);
  counter(out, "turn_ratelimit_hash_collisions",
          "Requests whose source hashed to a bucket another live source held",
          t.ratelimit_collisions);
  gauge(out, "turn_ratelimit_occupied_buckets", "Rate-limit buckets holding a live window",
        t.ratelimit_occupied_buckets);
  gauge(out, "turn_ratelimit_total_buckets", "Rate-limit table capacity in buckets",
        SourceRateTable::kBuckets);
  gauge(out, "turnd_banned_sources", "Sources banned now by the built-in brute-force ban",
        t.banned_sources);
  counter(out, "turnd_bans_total", "Bans started by the built-in brute-force ban", t.bans);
  // turnd's other counters, with the help text of util/stats.hpp.
#define TURND_EXPORT_COUNTER(name, help) \
  if (!has_coturn_name(#name))           \
    counter(out, "turnd_" #name "_total", help, t.name);
  TURND_WORKER_COUNTERS(TURND_EXPORT_COUNTER)
#undef TURND_EXPORT_COUNTER
  gauge(out, "turnd_active_allocations", "Active allocations", t.active_allocations);
  gauge(out, "turnd_active_connections", "Active TCP/TLS/DTLS client connections",
        t.active_connections);
  gauge(out, "turnd_offloaded_flows", "Channels the kernel fast path relays", t.offloaded_flows);
  {
    MetricFamily& f =
        family(out, "turnd_offload_fallbacks_total",
               "Packets of offloaded channels the kernel sent up to user space instead",
               MetricType::Counter);
    for (std::size_t i = 0; i < ServerTotals::kOffloadFallbackReasons; ++i) {
      sample(f, static_cast<double>(t.offload_fallbacks[i]),
             {{"reason", ServerTotals::kOffloadFallbackNames[i]}});
    }
  }
  gauge(out, "turnd_workers", "Worker threads", server.worker_count());
  gauge(out, "turnd_relay_ports_free", "Relay ports (min-port..max-port) free for allocations",
        t.relay_ports_free);
  gauge(out, "turnd_relay_ports_total", "Relay ports in min-port..max-port", t.relay_ports_total);
  {
    MetricFamily& f = family(out, "turnd_loop_lag_seconds",
                             "How late each worker loop ran its 250 ms timer (time spent "
                             "elsewhere before getting to it)",
                             MetricType::Histogram);
    for (std::size_t w = 0; w < server.worker_count(); ++w) {
      const LoopLag lag = server.loop_lag(w);
      ClientMetric m;
      m.label = {{"worker", std::to_string(w)}};
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < LoopLagHistogram::kUpperBoundsUs.size(); ++i) {
        cumulative += lag.buckets[i];
        m.histogram.bucket.push_back(
            {cumulative, static_cast<double>(LoopLagHistogram::kUpperBoundsUs[i]) / 1e6});
      }
      cumulative += lag.buckets.back();
      m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
      m.histogram.sample_count = cumulative;
      m.histogram.sample_sum = static_cast<double>(lag.sum_us) / 1e6;
      f.metric.push_back(std::move(m));
    }
  }
  return out;
}

MetricsServer::MetricsServer(const MetricsSource& server, const Config& config)
    : host_(config.prometheus_address.ip_string()),
      path_(config.prometheus_path),
      metrics_(
          std::make_shared<Collector>(server, config.realm, config.prometheus_username_labels)),
      health_(std::make_shared<Empty>()) {
  stun::SocketAddress at = config.prometheus_address;
  at.port = config.prometheus_port;
  const std::string where = at.to_string();
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(where, 2);
  } catch (const std::exception& e) {
    throw std::runtime_error("prometheus: cannot listen on " + where + ": " + e.what());
  }
  const auto ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? config.prometheus_port : static_cast<std::uint16_t>(ports.front());
  exposer_->RegisterCollectable(metrics_, path_);
  if (path_ != "/")
    exposer_->RegisterCollectable(health_, "/");
}

MetricsServer::~MetricsServer() {
  stop();
}

void MetricsServer::stop() {
  exposer_.reset();  // civetweb joins its threads: no scrape runs past this
}

std::string MetricsServer::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + path_;
}

}  // namespace turn
