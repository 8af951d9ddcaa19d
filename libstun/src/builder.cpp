#include "stun/builder.hpp"

#include <cstring>

#include "stun/fingerprint.hpp"
#include "stun/integrity.hpp"

namespace stun {

MessageBuilder::MessageBuilder(MutableBytes buffer, std::uint16_t type, const TransactionId& tid,
                               std::uint32_t cookie)
    : buf_(buffer), tid_(tid) {
  if (buf_.size() < kHeaderSize) {
    error_ = ParseError::kBufferTooSmall;
    return;
  }
  store_u16(buf_.data(), type & 0x3FFF);
  store_u16(buf_.data() + 2, 0);
  store_u32(buf_.data() + 4, cookie);
  std::memcpy(buf_.data() + 8, tid.data(), tid.size());
  size_ = kHeaderSize;
}

MessageBuilder MessageBuilder::response_to(MutableBytes buffer, const MessageView& request,
                                           Class cls) {
  return MessageBuilder(buffer, pack_type(request.method(), cls), request.transaction_id(),
                        request.cookie());
}

void MessageBuilder::set_length(std::size_t body_length) {
  store_u16(buf_.data() + 2, static_cast<std::uint16_t>(body_length));
}

std::optional<MutableBytes> MessageBuilder::reserve(std::uint16_t type, std::size_t length) {
  if (error_ != ParseError::kOk)
    return std::nullopt;
  const std::size_t padded = pad4(length);
  // The body length is a 16-bit field: a message can never exceed 20 + 65532 bytes.
  if (length > 0xFFFF || kAttributeHeaderSize + padded > buf_.size() - size_ ||
      size_ + kAttributeHeaderSize + padded - kHeaderSize > 0xFFFC) {
    error_ = ParseError::kBufferTooSmall;
    return std::nullopt;
  }
  std::uint8_t* p = buf_.data() + size_;
  store_u16(p, type);
  store_u16(p + 2, static_cast<std::uint16_t>(length));
  std::memset(p + kAttributeHeaderSize, 0, padded);  // zeroed padding (CVE-2020-4067)
  size_ += kAttributeHeaderSize + padded;
  set_length(size_ - kHeaderSize);
  return MutableBytes{p + kAttributeHeaderSize, padded};
}

bool MessageBuilder::advance(Stage next) {
  if (error_ != ParseError::kOk)
    return false;
  if (stage_ >= next) {
    error_ = ParseError::kAttributeOrder;
    return false;
  }
  stage_ = next;
  return true;
}

std::optional<MutableBytes> MessageBuilder::reserve_ordinary(std::uint16_t type,
                                                             std::size_t length) {
  // MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT written through add()/add_raw() (a precomputed or
  // truncated MAC, say) move the stage on just as the dedicated methods do, so nothing can follow
  // them that a receiver would ignore (RFC 8489 §14.5-§14.7).
  switch (static_cast<AttrType>(type)) {
    case AttrType::kMessageIntegrity:
      if (!advance(Stage::kIntegrity))
        return std::nullopt;
      break;
    case AttrType::kMessageIntegritySha256:
      if (!advance(Stage::kIntegritySha256))
        return std::nullopt;
      break;
    case AttrType::kFingerprint:
      if (!advance(Stage::kFingerprint))
        return std::nullopt;
      break;
    default:
      if (stage_ != Stage::kAttributes) {
        if (error_ == ParseError::kOk)
          error_ = ParseError::kAttributeOrder;
        return std::nullopt;
      }
  }
  return reserve(type, length);
}

MessageBuilder& MessageBuilder::add_raw(std::uint16_t type, Bytes value) {
  if (auto out = reserve_ordinary(type, value.size()); out && !value.empty()) {
    std::memcpy(out->data(), value.data(), value.size());
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_integrity_sha1(Bytes key) {
  if (!advance(Stage::kIntegrity))
    return *this;
  const std::size_t covered = size_;
  if (auto out = reserve(static_cast<std::uint16_t>(AttrType::kMessageIntegrity), 20)) {
    // The length field already counts this attribute, as RFC 8489 §14.5 requires.
    const Bytes pieces[] = {Bytes{buf_.data(), covered}};
    std::array<std::uint8_t, 32> mac;
    hmac("SHA1", key, pieces, mac);
    std::memcpy(out->data(), mac.data(), 20);
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_integrity_sha256(Bytes key) {
  if (!advance(Stage::kIntegritySha256))
    return *this;
  const std::size_t covered = size_;
  if (auto out = reserve(static_cast<std::uint16_t>(AttrType::kMessageIntegritySha256), 32)) {
    const Bytes pieces[] = {Bytes{buf_.data(), covered}};
    std::array<std::uint8_t, 32> mac;
    hmac("SHA256", key, pieces, mac);
    std::memcpy(out->data(), mac.data(), 32);
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_fingerprint() {
  if (!advance(Stage::kFingerprint))
    return *this;
  const std::size_t covered = size_;
  if (auto out = reserve(static_cast<std::uint16_t>(AttrType::kFingerprint), 4)) {
    store_u32(out->data(), crc32(Bytes{buf_.data(), covered}) ^ kFingerprintXor);
  }
  return *this;
}

Result<Bytes> MessageBuilder::finish() const {
  if (error_ != ParseError::kOk)
    return error_;
  return Bytes{buf_.data(), size_};
}

}  // namespace stun
