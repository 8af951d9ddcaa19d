// MessageView: a validated, read-only view over one STUN message in the caller's buffer.
//
// Lifetime: the view, and every string_view/span it returns, points into the bytes passed to
// parse(); they are valid only while those bytes are alive and unmodified. Parsing copies nothing
// and allocates nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "stun/attributes.hpp"
#include "stun/bytes.hpp"
#include "stun/errors.hpp"
#include "stun/types.hpp"

namespace stun {

/// One attribute as found in the message: its type and where its value lies.
struct AttributeRef {
  std::uint16_t type = 0;
  std::uint16_t length = 0;  ///< unpadded value length
  std::uint32_t offset = 0;  ///< offset of the value from the start of the message
};

class MessageView {
 public:
  /// The number of attributes a view indexes; a message with more is rejected
  /// (kTooManyAttributes). Real clients send fewer than 16.
  static constexpr std::size_t kMaxAttributes = 48;

  /// Validates the header and the attribute framing of `datagram`. Bytes after the message
  /// (as given by its length field) are not part of it. Attribute values are decoded lazily by
  /// get(); structural errors are reported here, each with its own ParseError.
  static Result<MessageView> parse(Bytes datagram);

  std::uint16_t type() const { return load_u16(data_); }
  Method method() const { return method_of(type()); }
  Class message_class() const { return class_of(type()); }
  std::uint32_t cookie() const { return load_u32(data_ + 4); }
  /// RFC 3489 §11.1: a message without the magic cookie is a "classic" STUN message whose 128-bit
  /// transaction id includes the cookie field.
  bool is_classic() const { return cookie() != kMagicCookie; }
  const TransactionId& transaction_id() const { return tid_; }
  /// The whole message (header included).
  Bytes bytes() const { return {data_, size_}; }
  std::size_t size() const { return size_; }

  /// Indexed attributes in wire order. Per RFC 8489 §14.5/§14.6, attributes after
  /// MESSAGE-INTEGRITY(-SHA256) are not indexed, except MESSAGE-INTEGRITY-SHA256 after
  /// MESSAGE-INTEGRITY and FINGERPRINT; nothing after FINGERPRINT is.
  std::span<const AttributeRef> attributes() const { return {attrs_.data(), count_}; }
  std::optional<AttributeRef> find(AttrType type) const;
  bool has(AttrType type) const { return find(type).has_value(); }
  Bytes value_of(const AttributeRef& a) const { return {data_ + a.offset, a.length}; }

  /// Decodes the first attribute of the descriptor's type (RFC 8489 §14: later duplicates are
  /// ignored). kMissing when absent.
  template <typename C>
  Result<typename C::Value> get(const Attribute<C>& attribute) const {
    auto ref = find(attribute.type);
    if (!ref)
      return ParseError::kMissing;
    return C::decode(value_of(*ref), tid_);
  }
  /// Decodes a given attribute reference (for repeated attributes such as XOR-PEER-ADDRESS).
  template <typename C>
  Result<typename C::Value> decode(const Attribute<C>&, const AttributeRef& ref) const {
    return C::decode(value_of(ref), tid_);
  }

  /// Comprehension-required attributes that libstun does not know (RFC 8489 §14: the server
  /// answers 420 with these in UNKNOWN-ATTRIBUTES).
  const codec::UnknownAttributes::Value& unknown_required() const { return unknown_; }

  /// Offsets of the integrity attributes' headers from the start of the message, if present.
  std::optional<std::uint32_t> integrity_offset() const { return integrity_; }
  std::optional<std::uint32_t> integrity_sha256_offset() const { return integrity_sha256_; }
  std::optional<std::uint32_t> fingerprint_offset() const { return fingerprint_; }

 private:
  MessageView() = default;
  ParseError index_attributes();

  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  TransactionId tid_{};
  std::array<AttributeRef, kMaxAttributes> attrs_{};
  std::size_t count_ = 0;
  codec::UnknownAttributes::Value unknown_{};
  std::optional<std::uint32_t> integrity_;
  std::optional<std::uint32_t> integrity_sha256_;
  std::optional<std::uint32_t> fingerprint_;
};

/// Cheap pre-check on a datagram's first bytes: could this be a STUN message at all?
/// (first two bits zero and at least a header's worth of bytes).
inline bool looks_like_stun(Bytes datagram) {
  return datagram.size() >= kHeaderSize && (datagram[0] & 0xC0) == 0;
}

}  // namespace stun
