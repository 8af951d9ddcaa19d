#include "admin_client.hpp"

#include <cstdlib>

#include "http_client.hpp"
#include "probe_target.hpp"

namespace turnctl {

AdminEndpoint admin_endpoint(const turn::Config& config, const std::string& address_flag,
                             const std::string& password_flag) {
  AdminEndpoint e;
  if (!address_flag.empty()) {
    auto address = stun::SocketAddress::parse(address_flag);
    if (!address)
      throw AdminSetupError("--admin '" + address_flag + "' is not ADDRESS[:PORT]");
    if (address->port == 0)
      address->port = config.cli_port;
    e.address = *address;
  } else {
    if (config.no_cli)
      throw AdminSetupError("the configuration says no-cli: turnd runs no admin API");
    e.address = connectable(config.cli_ip);
    e.address.port = config.cli_port;
  }
  const char* from_env = std::getenv("TURNCTL_PASSWORD");
  if (!password_flag.empty()) {
    e.password = password_flag;
  } else if (from_env != nullptr && *from_env != '\0') {
    e.password = from_env;
  } else if (config.cli_password.rfind("$5$", 0) == 0) {
    throw AdminSetupError(
        "cli-password in the configuration is a hash (turnadmin -P): give the "
        "password in TURNCTL_PASSWORD or --password");
  } else if (config.cli_password.empty()) {
    throw AdminSetupError(
        "no cli-password in the configuration: turnd's admin API is off (set "
        "cli-password, or give --admin and --password for another server)");
  } else {
    e.password = config.cli_password;
  }
  return e;
}

AdminReply admin_call(const AdminEndpoint& endpoint, const std::string& method,
                      const std::string& path, std::chrono::milliseconds timeout) {
  const HttpResponse http = http_request(endpoint.address, method, path,
                                         {"Authorization: Bearer " + endpoint.password}, timeout);
  AdminReply reply;
  reply.status = http.status;
  reply.body = nlohmann::json::parse(http.body, nullptr, /*allow_exceptions=*/false);
  if (!reply.body.is_object()) {
    throw std::runtime_error(endpoint.address.to_string() + " answered HTTP " +
                             std::to_string(http.status) + " without the admin API's JSON");
  }
  return reply;
}

}  // namespace turnctl
