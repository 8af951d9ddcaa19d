// What turnctl's clients (the STUN probe, the admin API's HTTP) share: a socket connected within
// a deadline, and the milliseconds left to a deadline for poll().
#pragma once

#include <chrono>
#include <string>

#include "stun/address.hpp"
#include "util/unique_fd.hpp"

namespace turnctl {

using Clock = std::chrono::steady_clock;

/// Milliseconds until `deadline`, 0 once it passed.
int millis_left(Clock::time_point deadline);

/// "what: strerror(errno)".
std::string system_error(const char* what);

/// A non-blocking socket of `type` (SOCK_DGRAM or SOCK_STREAM) connected to `to`; a stream
/// connection must complete before `deadline`. On failure the fd is invalid and `error` says why.
turn::UniqueFd connect_before(const stun::SocketAddress& to, int type, Clock::time_point deadline,
                              std::string& error);

}  // namespace turnctl
