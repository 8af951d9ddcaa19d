// One simulated TURN client: its own transport (own 5-tuple), its own signalling session and, once
// set up, its own allocation on the server.
#pragma once

#include <cstdint>

#include "connection.hpp"
#include "turn_session.hpp"

namespace load {

struct Client {
  Client(std::uint32_t i, const Credentials* credentials, Goal goal,
         const stun::SocketAddress& peer, bool reliable)
      : index(i),
        // Any channel in 0x4000-0x4FFF works: every client has an allocation of its own.
        session(credentials, goal, peer, static_cast<std::uint16_t>(stun::kMinChannel + i % 0x1000),
                reliable) {}

  std::uint32_t index;
  Connection conn;
  TurnSession session;
  bool ready = false;
};

}  // namespace load
