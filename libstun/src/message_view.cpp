#include "stun/message_view.hpp"

#include <algorithm>
#include <cstring>

namespace stun {

Result<MessageView> MessageView::parse(Bytes datagram) {
  if (datagram.size() < kHeaderSize)
    return ParseError::kShortHeader;
  // RFC 8489 §5: the two most significant bits of every STUN message are zero.
  if ((datagram[0] & 0xC0) != 0)
    return ParseError::kNotStun;
  const std::size_t length = load_u16(datagram.data() + 2);
  if (length % 4 != 0)
    return ParseError::kLengthNotMultipleOf4;
  if (kHeaderSize + length > datagram.size())
    return ParseError::kLengthBeyondDatagram;

  MessageView m;
  m.data_ = datagram.data();
  m.size_ = kHeaderSize + length;
  std::memcpy(m.tid_.data(), datagram.data() + 8, m.tid_.size());
  if (auto e = m.index_attributes(); e != ParseError::kOk)
    return e;
  return m;
}

ParseError MessageView::index_attributes() {
  enum class After { kNothing, kIntegrity, kIntegritySha256, kFingerprint };
  After after = After::kNothing;
  std::size_t at = kHeaderSize;
  while (at < size_) {
    if (size_ - at < kAttributeHeaderSize)
      return ParseError::kAttributeOverrun;
    const std::uint16_t type = load_u16(data_ + at);
    const std::size_t length = load_u16(data_ + at + 2);
    const std::size_t value_at = at + kAttributeHeaderSize;
    // The last attribute's padding must also fit: the message length is a multiple of 4.
    if (pad4(length) > size_ - value_at)
      return ParseError::kAttributeOverrun;

    const auto t = static_cast<AttrType>(type);
    bool index = false;
    switch (after) {
      case After::kNothing:
        index = true;
        break;
      // RFC 8489 §14.5: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
      // count; §14.6: after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT.
      case After::kIntegrity:
        index = t == AttrType::kMessageIntegritySha256 || t == AttrType::kFingerprint;
        break;
      case After::kIntegritySha256:
        index = t == AttrType::kFingerprint;
        break;
      case After::kFingerprint:
        break;  // §14.7: FINGERPRINT is last; anything after it is ignored.
    }
    if (index) {
      if (count_ == kMaxAttributes)
        return ParseError::kTooManyAttributes;
      attrs_[count_++] = {type, static_cast<std::uint16_t>(length),
                          static_cast<std::uint32_t>(value_at)};
      if (t == AttrType::kMessageIntegrity && !integrity_) {
        integrity_ = static_cast<std::uint32_t>(at);
        after = After::kIntegrity;
      } else if (t == AttrType::kMessageIntegritySha256 && !integrity_sha256_) {
        integrity_sha256_ = static_cast<std::uint32_t>(at);
        after = After::kIntegritySha256;
      } else if (t == AttrType::kFingerprint) {
        fingerprint_ = static_cast<std::uint32_t>(at);
        after = After::kFingerprint;
      } else if (is_comprehension_required(type) && !is_known_attribute(type) &&
                 std::find(unknown_.begin(), unknown_.end(), type) == unknown_.end()) {
        // Each type once, so a repeated attribute cannot crowd others out of the 16 reported in
        // UNKNOWN-ATTRIBUTES; more are still refused by the server.
        unknown_.push(type);
      }
    }
    at = value_at + pad4(length);
  }
  return ParseError::kOk;
}

std::optional<AttributeRef> MessageView::find(AttrType type) const {
  const auto code = static_cast<std::uint16_t>(type);
  for (std::size_t i = 0; i < count_; ++i) {
    if (attrs_[i].type == code)
      return attrs_[i];
  }
  return std::nullopt;
}

}  // namespace stun
