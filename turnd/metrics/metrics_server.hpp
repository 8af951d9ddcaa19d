// coturn's Prometheus exporter (prometheus, prometheus-port, prometheus-address, prometheus-path,
// prometheus-username-labels): an HTTP listener on its own threads (prometheus-cpp's civetweb)
// whose scrapes build every metric from the workers' counters at that moment. The workers never
// see a scrape: it only loads their relaxed atomics, plus one mutex per worker for the table of
// ended sessions (taken by a worker only when an allocation ends).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "metrics/metrics_source.hpp"

namespace prometheus {
class Exposer;
class Collectable;
struct MetricFamily;
}  // namespace prometheus

namespace turn {

/// Every metric family of one scrape of `server` (coturn's names first, then turnd_*).
/// `realm` labels turn_traffic_*; `username_labels` adds their `user` label.
std::vector<prometheus::MetricFamily> collect_metrics(const MetricsSource& server,
                                                      const std::string& realm,
                                                      bool username_labels);

class MetricsServer {
 public:
  /// Binds config.prometheus_address:prometheus_port and serves config.prometheus_path (and
  /// `GET /`, coturn's health check). Throws std::runtime_error naming the address when it cannot
  /// listen. `server` must outlive this object.
  MetricsServer(const MetricsSource& server, const Config& config);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// Stops listening and waits for running scrapes. Idempotent.
  void stop();
  /// The bound port (the real one when prometheus-port was 0).
  std::uint16_t port() const { return port_; }
  /// http://ADDR:PORT/PATH
  std::string url() const;

 private:
  std::string host_;
  std::string path_;
  std::uint16_t port_ = 0;
  std::shared_ptr<prometheus::Collectable> metrics_;
  std::shared_ptr<prometheus::Collectable> health_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace turn
