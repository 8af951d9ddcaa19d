// Cutting a TCP/TLS byte stream into STUN messages and ChannelData frames (RFC 8656 §10.1,
// RFC 6062). All length arithmetic is in size_t so a 16-bit length cannot wrap (coturn #1837).
#pragma once

#include <cstddef>
#include <cstdint>

#include "stun/bytes.hpp"
#include "stun/errors.hpp"
#include "stun/types.hpp"

namespace stun {

enum class FrameKind : std::uint8_t { kStun, kChannelData };

struct Frame {
  FrameKind kind = FrameKind::kStun;
  std::size_t size = 0;  ///< bytes to consume from the front of the stream, padding included
};

/// The largest frame a STUN-over-TCP peer can send: a 20-byte header and a 65532-byte body.
inline constexpr std::size_t kMaxStreamFrame = kHeaderSize + 0xFFFC;

/// Looks at the front of `buffered` and says how long the first frame is.
/// kIncomplete: fewer bytes than the frame needs (call again when more arrive).
/// kNotAFrame: the first byte is neither STUN (0x00-0x03, RFC 7983) nor ChannelData (0x40 up to
/// `max_channel`'s first byte: 0x4F for RFC 8656, 0x7F with kMaxChannelRfc5766), or a STUN length
/// is not a multiple of 4; the connection should be closed. kFrameTooLarge: the frame is longer
/// than `max_frame`.
Result<Frame> next_frame(Bytes buffered, std::size_t max_frame = kMaxStreamFrame,
                         std::uint16_t max_channel = kMaxChannel);

}  // namespace stun
