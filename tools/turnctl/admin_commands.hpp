// turnctl's admin commands: each one call of turnd's admin API (admin_client.hpp), its answer
// printed as a table for people or as the API's JSON (--json) for scripts.
#pragma once

#include <string>

#include "admin_client.hpp"

namespace turnctl {

enum class AdminVerb { kSessions, kShow, kKill, kDrain, kReload, kConfig, kBans, kUnban };

struct AdminCommand {
  AdminVerb verb = AdminVerb::kSessions;
  std::string id;      ///< show, kill
  std::string user;    ///< sessions --user, kill --user
  std::string source;  ///< unban
  bool json = false;
};

/// Exit statuses beyond the probe's 0 (done), 1 (the server failed it) and 2 (bad command line
/// or configuration): the server refused the password, or blocks this source for a while.
inline constexpr int kExitAuthRefused = 3;

/// Runs `command` against `endpoint`, printing the answer to stdout and problems to stderr;
/// returns the exit status.
int run_admin_command(const AdminCommand& command, const AdminEndpoint& endpoint);

}  // namespace turnctl
