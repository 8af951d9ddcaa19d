// Payload packets and bytes relayed each way: an allocation's, and a kernel fast-path flow's.
#pragma once

#include <cstdint>

namespace turn {

struct Traffic {
  std::uint64_t client_packets = 0;  ///< client -> peer
  std::uint64_t client_bytes = 0;
  std::uint64_t peer_packets = 0;  ///< peer -> client
  std::uint64_t peer_bytes = 0;
};

}  // namespace turn
