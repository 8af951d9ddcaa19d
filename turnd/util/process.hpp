// Process-level setup coturn operators rely on: daemon mode, pidfile, dropping root.
#pragma once

#include <string>

namespace turn {

/// Forks into the background (coturn -o/daemon): the parent exits 0 once the child has
/// detached; stdin/stdout/stderr point to /dev/null. Call before any thread is started.
void daemonize();

/// Raises the open-file limit to its hard maximum (as coturn does): every allocation holds a
/// relay socket, so the usual soft limit of 1024 would cap a server near a thousand
/// allocations. Returns
/// the limit now in force.
unsigned long raise_open_file_limit();

/// Writes the current pid to `path` (nothing for ""); throws std::runtime_error on failure.
void write_pidfile(const std::string& path);
void remove_pidfile(const std::string& path);

/// Switches to `group` and `user` (names or numbers; "" keeps the current one) after the
/// privileged ports are bound; throws std::runtime_error naming the one that failed. With
/// `keep_net_admin`, a root process switching user keeps CAP_NET_ADMIN alone, and nothing
/// else: the kernel fast path's TC filters can then still be detached at exit (else every
/// restart would leave one more on each device).
void drop_privileges(const std::string& user, const std::string& group,
                     bool keep_net_admin = false);

}  // namespace turn
