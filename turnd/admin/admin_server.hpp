// The admin API's HTTP listener (cli-ip:cli-port, plain HTTP on civetweb's threads, the library
// prometheus-cpp already links). Every request must carry cli-password; a source that gets it
// wrong kFailuresBeforeBlock times within kBlockSeconds is answered 429 for kBlockSeconds
// without a check, so the password cannot be guessed at line rate. Failures are logged with the
// source (fail2ban reads them). The resources are admin/admin_api.hpp's.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "admin/admin_api.hpp"
#include "admin/admin_backend.hpp"
#include "config/config.hpp"

struct mg_context;
struct mg_connection;

namespace turn {

class AdminServer {
 public:
  static constexpr unsigned kFailuresBeforeBlock = 5;
  static constexpr std::uint64_t kBlockSeconds = 60;
  /// Sources whose failures are remembered; beyond it the oldest window is forgotten.
  static constexpr std::size_t kMaxTrackedSources = 4096;

  /// Listens on config.cli_ip:cli_port; throws std::runtime_error naming the address when it
  /// cannot. `backend` must outlive this object.
  AdminServer(AdminBackend& backend, const Config& config);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  /// Stops listening and waits for running requests. Idempotent.
  void stop();
  /// The bound port (the real one when cli-port was 0).
  std::uint16_t port() const { return port_; }

 private:
  static int on_request(mg_connection* conn, void* self);
  int serve(mg_connection* conn);
  /// Whether `source` may try a password now (not blocked).
  bool may_try(const std::string& source, std::uint64_t now_s);
  /// A wrong password from `source`; true when that starts its block.
  bool failed(const std::string& source, std::uint64_t now_s);

  AdminBackend& backend_;
  std::string password_;
  std::uint16_t port_ = 0;
  mg_context* ctx_ = nullptr;
  struct Failures {
    unsigned count = 0;
    std::uint64_t window_start_s = 0;
    std::uint64_t blocked_until_s = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Failures> failures_;
};

}  // namespace turn
