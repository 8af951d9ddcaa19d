// The test client's time units and default waits, shared by turn_client.hpp and the
// connection classes it builds on (stream_connection.hpp, tcp_echo_peer.hpp).
#pragma once

#include <chrono>

namespace turntest {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

/// How long a test waits for something that should arrive, and for something that should not.
inline constexpr Millis kReplyTimeout = 2000ms;
inline constexpr Millis kSilenceTimeout = 300ms;

}  // namespace turntest
