// Process-level setup coturn operators rely on: daemon mode, pidfile, dropping root.
#pragma once

#include <string>

namespace turn {

/// Forks into the background (coturn -o/daemon): the parent exits 0 once the child has
/// detached; stdin/stdout/stderr point to /dev/null. Call before any thread is started.
void daemonize();

/// Writes the current pid to `path` (nothing for ""); throws std::runtime_error on failure.
void write_pidfile(const std::string& path);
void remove_pidfile(const std::string& path);

/// Switches to `group` and `user` (names or numbers; "" keeps the current one) after the
/// privileged ports are bound; throws std::runtime_error naming the one that failed.
void drop_privileges(const std::string& user, const std::string& group);

}  // namespace turn
