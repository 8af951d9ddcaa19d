// ChannelData messages (RFC 8656 §12.4): 2-byte channel number, 2-byte length, payload.
#pragma once

#include <cstddef>
#include <cstdint>

#include "stun/bytes.hpp"
#include "stun/errors.hpp"
#include "stun/types.hpp"

namespace stun {

inline constexpr std::size_t kChannelDataHeaderSize = 4;

struct ChannelDataView {
  std::uint16_t channel = 0;
  Bytes payload;  ///< points into the parsed buffer

  /// Parses one ChannelData message. Over UDP the padding is optional and any bytes after the
  /// payload are ignored (RFC 8656 §12.5); over a stream, pass exactly the frame the framer cut.
  /// Channel numbers above `max_channel` are refused (kMaxChannelRfc5766 admits RFC 5766 ones).
  static Result<ChannelDataView> parse(Bytes buffer, std::uint16_t max_channel = kMaxChannel);
};

/// Writes the 4-byte header in front of a payload (into the buffer's headroom).
inline void write_channel_data_header(std::uint8_t* out, std::uint16_t channel,
                                      std::uint16_t length) {
  store_u16(out, channel);
  store_u16(out + 2, length);
}

/// Bytes a ChannelData message with `payload` bytes occupies: over streams it is padded to a
/// multiple of 4 (RFC 8656 §12.5), over UDP it is not.
constexpr std::size_t channel_data_size(std::size_t payload, bool stream) {
  return kChannelDataHeaderSize + (stream ? pad4(payload) : payload);
}

inline bool is_valid_channel(std::uint16_t channel, std::uint16_t max_channel = kMaxChannel) {
  return channel >= kMinChannel && channel <= max_channel;
}

}  // namespace stun
