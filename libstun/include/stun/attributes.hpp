// Typed attribute descriptors. Each descriptor pairs an IANA code with a codec; MessageView::get
// decodes with it and MessageBuilder::add encodes with it, so every attribute round-trips through
// the same code.
//
// A codec is a type with:
//   using Value = ...;                                            // small value or view type
//   static Result<Value> decode(Bytes value, const TransactionId&);
//   static std::size_t size(const Value&);                        // unpadded value length
//   static void encode(MutableBytes out, const Value&, const TransactionId&);  //
//   out.size()==size()
// Views returned by decode point into the message and live as long as its bytes.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <string_view>

#include "stun/address.hpp"
#include "stun/bytes.hpp"
#include "stun/errors.hpp"
#include "stun/types.hpp"

namespace stun {

template <typename C>
concept AttributeCodec = requires(Bytes in, MutableBytes out, const typename C::Value& v,
                                  const TransactionId& tid) {
  { C::decode(in, tid) } -> std::same_as<Result<typename C::Value>>;
  { C::size(v) } -> std::same_as<std::size_t>;
  C::encode(out, v, tid);
};

template <AttributeCodec C>
struct Attribute {
  using Codec = C;
  using Value = typename C::Value;
  AttrType type;
  constexpr std::uint16_t code() const { return static_cast<std::uint16_t>(type); }
};

/// A fixed-capacity inline list (no heap), for list-valued attributes.
template <typename T, std::size_t N>
struct InlineList {
  std::array<T, N> items{};
  std::size_t count = 0;

  bool push(const T& v) {
    if (count == N)
      return false;
    items[count++] = v;
    return true;
  }
  const T* begin() const { return items.data(); }
  const T* end() const { return items.data() + count; }
  std::size_t size() const { return count; }
  bool empty() const { return count == 0; }
  const T& operator[](std::size_t i) const { return items[i]; }
  bool operator==(const InlineList& o) const {
    for (std::size_t i = 0; i < count && count == o.count; ++i) {
      if (!(items[i] == o.items[i]))
        return false;
    }
    return count == o.count;
  }
};

namespace codec {

/// MAPPED-ADDRESS family of attributes (RFC 8489 §14.1).
struct Address {
  using Value = SocketAddress;
  static Result<Value> decode(Bytes in, const TransactionId& tid);
  static std::size_t size(const Value& v) { return 4 + v.ip_size(); }
  static void encode(MutableBytes out, const Value& v, const TransactionId& tid);
};

/// XOR-MAPPED-ADDRESS family (RFC 8489 §14.2): port and address XORed with cookie and txid.
struct XorAddress {
  using Value = SocketAddress;
  static Result<Value> decode(Bytes in, const TransactionId& tid);
  static std::size_t size(const Value& v) { return 4 + v.ip_size(); }
  static void encode(MutableBytes out, const Value& v, const TransactionId& tid);
};

struct U32 {
  using Value = std::uint32_t;
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value&) { return 4; }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

struct U64 {
  using Value = std::uint64_t;
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value&) { return 8; }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// A 16-bit value followed by 16 reserved bits: CHANNEL-NUMBER (RFC 8656 §18.1), RESPONSE-PORT.
struct U16Rffu {
  using Value = std::uint16_t;
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value&) { return 4; }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// An 8-bit value followed by 24 reserved bits: REQUESTED-TRANSPORT, (ADDITIONAL-)
/// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.7, §18.8, §18.11).
struct U8Rffu {
  using Value = std::uint8_t;
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value&) { return 4; }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// EVEN-PORT (RFC 8656 §18.6): one byte whose top bit R asks to reserve the next port.
struct EvenPort {
  using Value = bool;  ///< the R bit
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value&) { return 1; }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// Attributes with no value: DONT-FRAGMENT.
struct Empty {
  struct Value {
    bool operator==(const Value&) const = default;
  };
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value&) { return 0; }
  static void encode(MutableBytes, const Value&, const TransactionId&) {}
};

/// UTF-8 text with a maximum length in bytes (USERNAME 513, REALM/NONCE/SOFTWARE 763, RFC 8489
/// §14).
template <std::size_t MaxBytes>
struct Text {
  using Value = std::string_view;
  static Result<Value> decode(Bytes in, const TransactionId&) {
    if (in.size() > MaxBytes)
      return ParseError::kBadAttributeLength;
    return Value{reinterpret_cast<const char*>(in.data()), in.size()};
  }
  static std::size_t size(const Value& v) { return v.size(); }
  static void encode(MutableBytes out, const Value& v, const TransactionId&) {
    for (std::size_t i = 0; i < v.size(); ++i)
      out[i] = static_cast<std::uint8_t>(v[i]);
  }
};

/// Opaque bytes: DATA, PADDING, ACCESS-TOKEN.
struct Opaque {
  using Value = Bytes;
  static Result<Value> decode(Bytes in, const TransactionId&) { return in; }
  static std::size_t size(const Value& v) { return v.size(); }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// Opaque bytes of one exact length: USERHASH (32), MESSAGE-INTEGRITY (20).
template <std::size_t N>
struct FixedOpaque {
  using Value = Bytes;
  static Result<Value> decode(Bytes in, const TransactionId&) {
    if (in.size() != N)
      return ParseError::kBadAttributeLength;
    return in;
  }
  static std::size_t size(const Value&) { return N; }
  /// A value shorter than N is zero-filled (the builder zeroes the region), never over-read.
  static void encode(MutableBytes out, const Value& v, const TransactionId& t) {
    Opaque::encode(out, v.first(std::min(N, v.size())), t);
  }
};

/// ERROR-CODE (RFC 8489 §14.8): class*100 + number, and a reason phrase.
struct ErrorCode {
  struct Value {
    std::uint16_t code = 0;  ///< 300..699
    std::string_view reason;
    bool operator==(const Value&) const = default;
  };
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value& v) { return 4 + v.reason.size(); }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// ADDRESS-ERROR-CODE (RFC 8656 §18.12): family, then an ERROR-CODE-style class/number/reason.
struct AddressErrorCode {
  struct Value {
    std::uint8_t family = 0;
    std::uint16_t code = 0;
    std::string_view reason;
    bool operator==(const Value&) const = default;
  };
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value& v) { return 4 + v.reason.size(); }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// ICMP (RFC 8656 §18.13): 16 reserved bits, type, code, 32 bits of error data.
struct Icmp {
  struct Value {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint32_t data = 0;
    bool operator==(const Value&) const = default;
  };
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value&) { return 8; }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// UNKNOWN-ATTRIBUTES (RFC 8489 §14.9): a list of 16-bit attribute types.
struct UnknownAttributes {
  using Value = InlineList<std::uint16_t, 16>;
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value& v) { return 2 * v.size(); }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

/// One PASSWORD-ALGORITHM entry (RFC 8489 §14.11/§14.12): algorithm and its parameters.
struct PasswordAlgorithmEntry {
  std::uint16_t algorithm = 0;
  Bytes parameters;
  bool operator==(const PasswordAlgorithmEntry& o) const {
    return algorithm == o.algorithm && std::equal(parameters.begin(), parameters.end(),
                                                  o.parameters.begin(), o.parameters.end());
  }
};

struct PasswordAlgorithm {
  using Value = PasswordAlgorithmEntry;
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value& v) { return 4 + pad4(v.parameters.size()); }
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

struct PasswordAlgorithms {
  using Value = InlineList<PasswordAlgorithmEntry, 8>;
  static Result<Value> decode(Bytes in, const TransactionId&);
  static std::size_t size(const Value& v);
  static void encode(MutableBytes out, const Value& v, const TransactionId&);
};

}  // namespace codec

/// The attribute descriptors, one per IANA code this library handles.
namespace attr {
inline constexpr Attribute<codec::Address> kMappedAddress{AttrType::kMappedAddress};
inline constexpr Attribute<codec::U32> kChangeRequest{AttrType::kChangeRequest};
inline constexpr Attribute<codec::Text<513>> kUsername{AttrType::kUsername};
inline constexpr Attribute<codec::FixedOpaque<20>> kMessageIntegrity{AttrType::kMessageIntegrity};
inline constexpr Attribute<codec::ErrorCode> kErrorCode{AttrType::kErrorCode};
inline constexpr Attribute<codec::UnknownAttributes> kUnknownAttributes{
    AttrType::kUnknownAttributes};
inline constexpr Attribute<codec::U16Rffu> kChannelNumber{AttrType::kChannelNumber};
inline constexpr Attribute<codec::U32> kLifetime{AttrType::kLifetime};
inline constexpr Attribute<codec::XorAddress> kXorPeerAddress{AttrType::kXorPeerAddress};
inline constexpr Attribute<codec::Opaque> kData{AttrType::kData};
inline constexpr Attribute<codec::Text<763>> kRealm{AttrType::kRealm};
inline constexpr Attribute<codec::Text<763>> kNonce{AttrType::kNonce};
inline constexpr Attribute<codec::XorAddress> kXorRelayedAddress{AttrType::kXorRelayedAddress};
inline constexpr Attribute<codec::U8Rffu> kRequestedAddressFamily{
    AttrType::kRequestedAddressFamily};
inline constexpr Attribute<codec::EvenPort> kEvenPort{AttrType::kEvenPort};
inline constexpr Attribute<codec::U8Rffu> kRequestedTransport{AttrType::kRequestedTransport};
inline constexpr Attribute<codec::Empty> kDontFragment{AttrType::kDontFragment};
inline constexpr Attribute<codec::Opaque> kAccessToken{AttrType::kAccessToken};
inline constexpr Attribute<codec::Opaque> kMessageIntegritySha256{
    AttrType::kMessageIntegritySha256};
inline constexpr Attribute<codec::PasswordAlgorithm> kPasswordAlgorithm{
    AttrType::kPasswordAlgorithm};
inline constexpr Attribute<codec::FixedOpaque<32>> kUserhash{AttrType::kUserhash};
inline constexpr Attribute<codec::XorAddress> kXorMappedAddress{AttrType::kXorMappedAddress};
inline constexpr Attribute<codec::U64> kReservationToken{AttrType::kReservationToken};
inline constexpr Attribute<codec::Opaque> kPadding{AttrType::kPadding};
inline constexpr Attribute<codec::U16Rffu> kResponsePort{AttrType::kResponsePort};
inline constexpr Attribute<codec::U32> kConnectionId{AttrType::kConnectionId};
inline constexpr Attribute<codec::U8Rffu> kAdditionalAddressFamily{
    AttrType::kAdditionalAddressFamily};
inline constexpr Attribute<codec::AddressErrorCode> kAddressErrorCode{AttrType::kAddressErrorCode};
inline constexpr Attribute<codec::PasswordAlgorithms> kPasswordAlgorithms{
    AttrType::kPasswordAlgorithms};
inline constexpr Attribute<codec::Text<255>> kAlternateDomain{AttrType::kAlternateDomain};
inline constexpr Attribute<codec::Icmp> kIcmp{AttrType::kIcmp};
inline constexpr Attribute<codec::Text<763>> kSoftware{AttrType::kSoftware};
inline constexpr Attribute<codec::Address> kAlternateServer{AttrType::kAlternateServer};
inline constexpr Attribute<codec::Address> kResponseOrigin{AttrType::kResponseOrigin};
inline constexpr Attribute<codec::Address> kOtherAddress{AttrType::kOtherAddress};
inline constexpr Attribute<codec::U32> kFingerprint{AttrType::kFingerprint};
}  // namespace attr

/// CHANGE-REQUEST flags (RFC 5780 §7.2).
inline constexpr std::uint32_t kChangeIp = 0x4;
inline constexpr std::uint32_t kChangePort = 0x2;

}  // namespace stun
