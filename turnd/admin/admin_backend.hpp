// What the admin API asks of the server. Each call is answered by the thread that owns the
// state (a worker's loop for its sessions, the control loop for configuration, reload and drain):
// the API's threads only post and wait. An empty optional: the owner did not answer in time.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "alloc/session_info.hpp"
#include "guard/ban_list.hpp"

namespace turn {

class AdminBackend {
 public:
  virtual ~AdminBackend() = default;
  /// Every worker's sessions, or only `user`'s when it is not empty.
  virtual std::optional<std::vector<SessionInfo>> admin_sessions(const std::string& user) = 0;
  /// Ends session `id` (0 or 1 ended) or, with an empty id, every session of `user`.
  virtual std::optional<std::size_t> admin_end_sessions(const std::string& id,
                                                        const std::string& user) = 0;
  /// Starts draining (SIGUSR1); true once draining.
  virtual std::optional<bool> admin_drain() = 0;
  /// Reloads as SIGHUP does; false when the new configuration was refused (see the log).
  virtual std::optional<bool> admin_reload() = 0;
  /// The effective configuration as turnserver.conf lines, secrets masked.
  virtual std::optional<std::string> admin_config() = 0;
  virtual std::vector<BanList::Ban> admin_bans() = 0;
  virtual bool admin_unban(const std::string& source) = 0;
};

}  // namespace turn
