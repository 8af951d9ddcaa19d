// The effective configuration as turnserver.conf lines, for `turnd --check-config`.
#pragma once

#include <string>

#include "config/config.hpp"

namespace turn {

/// Every setting of the option table, in its order, as `name=value` lines in the file's grammar
/// that read back as the same configuration. Entries marked secret (passwords, REST secrets)
/// are masked ("user=alice:***"), so the output can be pasted into a ticket.
std::string describe_config(const Config& config);

}  // namespace turn
