// The admin API's resources (JSON over HTTP), independent of the HTTP server that carries them:
//   GET    /v1/sessions[?user=U]   the sessions, live traffic included
//   GET    /v1/sessions/ID         one session
//   DELETE /v1/sessions/ID         ends it;   DELETE /v1/sessions?user=U  ends all of U's
//   POST   /v1/drain               SIGUSR1;   POST /v1/reload  SIGHUP
//   GET    /v1/config              the effective configuration, secrets masked
//   GET    /v1/bans                the brute-force bans;  DELETE /v1/bans?source=S  lifts one
#pragma once

#include <map>
#include <string>

#include "admin/admin_backend.hpp"

namespace turn {

struct AdminRequest {
  std::string method;  ///< GET, POST, DELETE
  std::string path;    ///< decoded, without the query
  std::map<std::string, std::string> query;
};

struct AdminResponse {
  int status = 200;
  std::string body;  ///< a JSON object
};

AdminResponse handle_admin_request(AdminBackend& backend, const AdminRequest& request,
                                   std::uint64_t now_s);

}  // namespace turn
