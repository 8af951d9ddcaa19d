#include "stun/framing.hpp"

#include "stun/channel_data.hpp"
#include "stun/demux.hpp"
#include "stun/types.hpp"

namespace stun {

Result<Frame> next_frame(Bytes buffered, std::size_t max_frame, std::uint16_t max_channel) {
  if (buffered.empty())
    return ParseError::kIncomplete;
  // The same first-byte rule as every other transport (RFC 7983 §7, demux.hpp).
  FrameKind kind;
  switch (classify(buffered[0], max_channel)) {
    case PacketKind::kStun:
      kind = FrameKind::kStun;
      break;
    case PacketKind::kChannelData:
      kind = FrameKind::kChannelData;
      break;
    default:
      return ParseError::kNotAFrame;
  }
  // Both frame types carry a 16-bit length in bytes 2-3.
  if (buffered.size() < 4)
    return ParseError::kIncomplete;
  const std::size_t length = load_u16(buffered.data() + 2);
  std::size_t size = 0;
  if (kind == FrameKind::kStun) {
    if (length % 4 != 0)
      return ParseError::kNotAFrame;
    size = kHeaderSize + length;
  } else {
    // RFC 8656 §12.5: over TCP/TLS, ChannelData is padded to a multiple of 4 bytes.
    size = channel_data_size(length, /*stream=*/true);
  }
  if (size > max_frame)
    return ParseError::kFrameTooLarge;
  if (size > buffered.size())
    return ParseError::kIncomplete;
  return Frame{kind, size};
}

}  // namespace stun
