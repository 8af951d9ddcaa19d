// What one client's data packets look like on the wire, built once per client after setup; each
// send copies the template and writes the stamp into the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "options.hpp"
#include "stun/address.hpp"

namespace load {

struct PacketTemplate {
  std::vector<std::uint8_t> bytes;  ///< the whole message, payload zeroed
  std::size_t payload_offset = 0;
};

/// channel/floor/hold: ChannelData on `channel` (padded to 4 bytes over a stream, RFC 8656
/// §12.5). send: a Send indication with XOR-PEER-ADDRESS `peer` and DATA. direct: the payload
/// alone.
PacketTemplate make_template(Mode mode, bool stream, std::uint16_t channel,
                             const stun::SocketAddress& peer, std::size_t payload_size);

}  // namespace load
