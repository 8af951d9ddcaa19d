// What a SIGHUP reload may change live, and what needs a restart.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace turn {

/// Copies back into `next` every option that cannot change while running (listening sockets,
/// worker count, relay port range, realm and nonce lifetime, process identity) and differs from
/// `running`; returns their names so the reload can log that they need a restart.
std::vector<std::string> keep_restart_only(const Config& running, Config& next);

}  // namespace turn
