#include "admin/admin_server.hpp"

#include <civetweb.h>

#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "admin/admin_password.hpp"
#include "util/log.hpp"

namespace turn {
namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    default:
      return "Service Unavailable";
  }
}

void send(mg_connection* conn, const AdminResponse& r, const char* extra_headers = "") {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
            r.status, reason_phrase(r.status), r.body.size(), extra_headers);
  mg_write(conn, r.body.data(), r.body.size());
}

/// The query's parameters the resources use, URL-decoded.
std::map<std::string, std::string> query_of(const char* query) {
  std::map<std::string, std::string> out;
  if (query == nullptr)
    return out;
  const std::size_t len = std::strlen(query);
  for (const char* name : {"user", "source"}) {
    std::vector<char> value(len + 1);
    if (mg_get_var(query, len, name, value.data(), value.size()) >= 0)
      out[name] = value.data();
  }
  return out;
}

std::uint64_t now_s() {
  return static_cast<std::uint64_t>(::time(nullptr));
}

}  // namespace

AdminServer::AdminServer(AdminBackend& backend, const Config& config)
    : backend_(backend), password_(config.cli_password) {
  stun::SocketAddress at = config.cli_ip;
  at.port = config.cli_port;
  const std::string where = at.to_string();
  mg_init_library(MG_FEATURES_IPV6);
  mg_callbacks callbacks{};
  // Silences civetweb's own error pages and log lines to stderr; failures are reported below.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  const char* options[] = {
      "listening_ports", where.c_str(),       "num_threads", "2",    "request_timeout_ms",
      "10000",           "enable_keep_alive", "no",          nullptr};
  ctx_ = mg_start(&callbacks, nullptr, options);
  if (ctx_ == nullptr) {
    mg_exit_library();
    throw std::runtime_error("admin API: cannot listen on " + where);
  }
  mg_set_request_handler(ctx_, "/", &AdminServer::on_request, this);
  mg_server_port ports[4]{};
  const int n = mg_get_server_ports(ctx_, 4, ports);
  port_ = n > 0 ? static_cast<std::uint16_t>(ports[0].port) : config.cli_port;
  at.port = port_;
  log::info("admin API listening on http://" + at.to_string() + "/v1/");
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::stop() {
  if (ctx_ == nullptr)
    return;
  mg_stop(ctx_);  // joins civetweb's threads: no request runs past this
  ctx_ = nullptr;
  mg_exit_library();
}

int AdminServer::on_request(mg_connection* conn, void* self) {
  return static_cast<AdminServer*>(self)->serve(conn);
}

bool AdminServer::may_try(const std::string& source, std::uint64_t now) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(source);
  return it == failures_.end() || it->second.blocked_until_s <= now;
}

bool AdminServer::failed(const std::string& source, std::uint64_t now) {
  std::lock_guard lock(mu_);
  if (failures_.size() >= kMaxTrackedSources && failures_.count(source) == 0) {
    auto oldest = failures_.begin();
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (it->second.window_start_s < oldest->second.window_start_s)
        oldest = it;
    }
    failures_.erase(oldest);
  }
  Failures& f = failures_[source];
  if (now >= f.window_start_s + kBlockSeconds) {
    f.count = 0;
    f.window_start_s = now;
  }
  if (++f.count < kFailuresBeforeBlock)
    return false;
  f.count = 0;
  f.blocked_until_s = now + kBlockSeconds;
  return true;
}

int AdminServer::serve(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  const std::string source = info->remote_addr;
  const std::uint64_t now = now_s();
  if (!may_try(source, now)) {
    send(conn, {429, R"j({"error":"too many wrong passwords: try again later"})j"},
         ("Retry-After: " + std::to_string(kBlockSeconds) + "\r\n").c_str());
    return 429;
  }
  const char* authorization = mg_get_header(conn, "Authorization");
  const std::string offered =
      authorization == nullptr ? std::string() : password_from_authorization(authorization);
  if (!admin_password_matches(password_, offered)) {
    const bool blocked = failed(source, now);
    log::warning("admin API: " + std::string(offered.empty() ? "no password" : "wrong password") +
                 " from " + source + (blocked ? " (blocked for 60 s)" : ""));
    send(conn, {401, R"j({"error":"wrong or missing password (cli-password)"})j"},
         "WWW-Authenticate: Bearer realm=\"turnd\"\r\n");
    return 401;
  }
  AdminRequest request;
  request.method = info->request_method;
  request.path = info->local_uri != nullptr ? info->local_uri : "/";
  request.query = query_of(info->query_string);
  if (request.method != "GET")
    log::info("admin API: " + request.method + " " + log::sanitize(request.path) + " from " +
              source);
  const AdminResponse response = handle_admin_request(backend_, request, now);
  send(conn, response);
  return response.status;
}

}  // namespace turn
