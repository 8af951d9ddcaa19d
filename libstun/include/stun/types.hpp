// STUN message types, methods, classes and attribute codes.
// IANA "STUN Methods" and "STUN Attributes" registries (RFC 8489, 8656, 6062, 6156, 5780, 7635).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace stun {

/// RFC 8489 §5: the fixed magic cookie that tells a STUN message from an RFC 3489 one.
inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::size_t kAttributeHeaderSize = 4;

enum class Method : std::uint16_t {
  kBinding = 0x001,
  kAllocate = 0x003,
  kRefresh = 0x004,
  kSend = 0x006,
  kData = 0x007,
  kCreatePermission = 0x008,
  kChannelBind = 0x009,
  kConnect = 0x00A,           // RFC 6062 §6.1
  kConnectionBind = 0x00B,    // RFC 6062 §6.2
  kConnectionAttempt = 0x00C  // RFC 6062 §6.3
};

enum class Class : std::uint8_t {
  kRequest = 0b00,
  kIndication = 0b01,
  kSuccess = 0b10,
  kError = 0b11
};

/// RFC 8489 §5: the 14 type bits interleave the 12 method bits with the 2 class bits (C1 at bit 8,
/// C0 at bit 4).
constexpr std::uint16_t pack_type(Method m, Class c) {
  const auto method = static_cast<std::uint16_t>(m);
  const auto cls = static_cast<std::uint16_t>(c);
  return static_cast<std::uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                                    ((method & 0x0F80) << 2) | ((cls & 0x1) << 4) |
                                    ((cls & 0x2) << 7));
}

constexpr Method method_of(std::uint16_t type) {
  return static_cast<Method>((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
}

constexpr Class class_of(std::uint16_t type) {
  return static_cast<Class>(((type & 0x0010) >> 4) | ((type & 0x0100) >> 7));
}

/// Attribute type codes. 0x0000-0x7FFF are comprehension-required, 0x8000-0xFFFF optional.
enum class AttrType : std::uint16_t {
  kMappedAddress = 0x0001,
  kResponseAddress = 0x0002,  // RFC 3489, deprecated
  kChangeRequest = 0x0003,    // RFC 5780 §7.2
  kUsername = 0x0006,
  kMessageIntegrity = 0x0008,
  kErrorCode = 0x0009,
  kUnknownAttributes = 0x000A,
  kChannelNumber = 0x000C,
  kLifetime = 0x000D,
  kXorPeerAddress = 0x0012,
  kData = 0x0013,
  kRealm = 0x0014,
  kNonce = 0x0015,
  kXorRelayedAddress = 0x0016,
  kRequestedAddressFamily = 0x0017,  // RFC 6156 §4.1.1
  kEvenPort = 0x0018,
  kRequestedTransport = 0x0019,
  kDontFragment = 0x001A,
  kAccessToken = 0x001B,  // RFC 7635 §6.2
  kMessageIntegritySha256 = 0x001C,
  kPasswordAlgorithm = 0x001D,
  kUserhash = 0x001E,
  kXorMappedAddress = 0x0020,
  kReservationToken = 0x0022,
  kPadding = 0x0026,                  // RFC 5780 §7.6
  kResponsePort = 0x0027,             // RFC 5780 §7.5
  kConnectionId = 0x002A,             // RFC 6062 §6.2.1
  kAdditionalAddressFamily = 0x8000,  // RFC 8656 §18.11
  kAddressErrorCode = 0x8001,         // RFC 8656 §18.12
  kPasswordAlgorithms = 0x8002,
  kAlternateDomain = 0x8003,
  kIcmp = 0x8004,  // RFC 8656 §18.13
  kSoftware = 0x8022,
  kAlternateServer = 0x8023,
  kResponseOrigin = 0x802B,  // RFC 5780 §7.3
  kOtherAddress = 0x802C,    // RFC 5780 §7.4
  kFingerprint = 0x8028,
};

/// RFC 8489 §14: an agent must understand a comprehension-required attribute or reject the message.
constexpr bool is_comprehension_required(std::uint16_t type) {
  return type < 0x8000;
}

/// Whether libstun knows the attribute (so it is not reported in UNKNOWN-ATTRIBUTES).
bool is_known_attribute(std::uint16_t type);

/// Human-readable method and attribute names for logs; "unknown" for anything else.
std::string_view method_name(Method m);
std::string_view attribute_name(std::uint16_t type);

/// RFC 8489 §5 transaction id: 96 bits, chosen by the client.
using TransactionId = std::array<std::uint8_t, 12>;

/// REQUESTED-TRANSPORT protocol numbers (RFC 8656 §18.7, RFC 6062 §6.1).
inline constexpr std::uint8_t kTransportUdp = 17;
inline constexpr std::uint8_t kTransportTcp = 6;

/// Address family codes used in address attributes and REQUESTED-ADDRESS-FAMILY.
inline constexpr std::uint8_t kFamilyIpv4 = 0x01;
inline constexpr std::uint8_t kFamilyIpv6 = 0x02;

/// RFC 8656 §12: valid channel numbers.
inline constexpr std::uint16_t kMinChannel = 0x4000;
inline constexpr std::uint16_t kMaxChannel = 0x4FFF;
/// RFC 5766 §11 allowed 0x4000-0x7FFF; RFC 5766 clients (coturn 4.6's uclient among them) use it.
inline constexpr std::uint16_t kMaxChannelRfc5766 = 0x7FFF;

/// PASSWORD-ALGORITHM values (RFC 8489 §18.5).
inline constexpr std::uint16_t kPasswordAlgorithmMd5 = 0x0001;
inline constexpr std::uint16_t kPasswordAlgorithmSha256 = 0x0002;

}  // namespace stun
