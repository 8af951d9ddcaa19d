// CRC-32 (ISO-HDLC, as in zlib) and the STUN FINGERPRINT value (RFC 8489 §14.7).
#pragma once

#include <cstdint>

#include "stun/bytes.hpp"

namespace stun {

inline constexpr std::uint32_t kFingerprintXor = 0x5354554e;

/// Continues a CRC-32 over `data`; start with crc = 0.
std::uint32_t crc32(Bytes data, std::uint32_t crc = 0);

}  // namespace stun
