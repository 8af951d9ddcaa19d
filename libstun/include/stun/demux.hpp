// First-byte demultiplexing of what arrives on one port (RFC 7983 §7, RFC 8656 §12).
#pragma once

#include <cstdint>

namespace stun {

enum class PacketKind : std::uint8_t { kStun, kZrtp, kDtls, kChannelData, kRtp, kUnknown };

/// RFC 7983: 0-3 STUN, 16-19 ZRTP, 20-63 DTLS, 64-79 TURN ChannelData, 128-191 RTP/RTCP.
constexpr PacketKind classify(std::uint8_t first_byte) {
  if (first_byte <= 3)
    return PacketKind::kStun;
  if (first_byte >= 16 && first_byte <= 19)
    return PacketKind::kZrtp;
  if (first_byte >= 20 && first_byte <= 63)
    return PacketKind::kDtls;
  if (first_byte >= 64 && first_byte <= 79)
    return PacketKind::kChannelData;
  if (first_byte >= 128 && first_byte <= 191)
    return PacketKind::kRtp;
  return PacketKind::kUnknown;
}

/// The same, for a server that accepts RFC 5766's wider channel range (coturn's
/// `old-channel-numbers` style configs): ChannelData then starts with any byte from 64 up to
/// `max_channel`'s first byte (79 for RFC 8656's 0x4FFF, 127 for 0x7FFF), which RFC 7983 would
/// otherwise call unknown. One rule for every transport: UDP, DTLS plaintext and stream frames.
constexpr PacketKind classify(std::uint8_t first_byte, std::uint16_t max_channel) {
  if (first_byte >= 64 && first_byte <= (max_channel >> 8))
    return PacketKind::kChannelData;
  const PacketKind kind = classify(first_byte);
  return kind == PacketKind::kChannelData ? PacketKind::kUnknown : kind;
}

}  // namespace stun
