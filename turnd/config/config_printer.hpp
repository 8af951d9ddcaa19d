// The effective configuration as turnserver.conf lines, for `turnd --check-config`.
#pragma once

#include <string>

#include "config/config.hpp"

namespace turn {

/// Every option turnd acts on, one `name=value` line each, in the file's grammar. Passwords and
/// REST secrets are masked ("user=alice:***"), so the output can be pasted into a ticket.
std::string describe_config(const Config& config);

}  // namespace turn
