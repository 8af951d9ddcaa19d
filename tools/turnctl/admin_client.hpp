// turnctl's side of turnd's admin API (turnd/admin/admin_api.hpp): where it listens and with what
// password, from the same turnserver.conf turnd reads (cli-ip, cli-port, cli-password), flags
// and TURNCTL_PASSWORD overriding; and one authenticated JSON call.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "config/config.hpp"
#include "stun/address.hpp"

namespace turnctl {

struct AdminEndpoint {
  stun::SocketAddress address;
  std::string password;
};

/// Why a command cannot be sent (bad flags, the API off in the config): exit status 2.
struct AdminSetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The endpoint of `config` (cli-ip, a wildcard asked on loopback, and cli-port), or
/// `address_flag` (ADDRESS[:PORT]) when it is set; the password from `password_flag`, else the
/// environment's TURNCTL_PASSWORD, else cli-password when it is plain. Throws AdminSetupError
/// when no password is known (none configured, or only turnadmin -P's "$5$" hash of it).
AdminEndpoint admin_endpoint(const turn::Config& config, const std::string& address_flag,
                             const std::string& password_flag);

struct AdminReply {
  int status = 0;
  nlohmann::json body;  ///< the API's JSON object ({"error": ...} when status is not 2xx)
  bool ok() const { return status >= 200 && status < 300; }
};

/// `method path` with the password as a Bearer token. Throws std::runtime_error when the server
/// cannot be reached or answers something that is not the admin API's JSON.
AdminReply admin_call(const AdminEndpoint& endpoint, const std::string& method,
                      const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace turnctl
