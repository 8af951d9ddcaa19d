// MessageBuilder: writes a STUN message into a caller-supplied buffer. No allocation.
//
// Order is enforced as RFC 8489 §14.5-§14.7 require: ordinary attributes, then optionally
// MESSAGE-INTEGRITY, then optionally MESSAGE-INTEGRITY-SHA256, then optionally FINGERPRINT.
// Anything out of that order fails with kAttributeOrder; a full buffer fails with
// kBufferTooSmall. The first failure sticks: later calls do nothing and finish() reports it.
// Every byte of the output, padding included, is written (CVE-2020-4067).
#pragma once

#include <cstddef>
#include <cstdint>

#include "stun/attributes.hpp"
#include "stun/bytes.hpp"
#include "stun/errors.hpp"
#include "stun/message_view.hpp"
#include "stun/types.hpp"

namespace stun {

class MessageBuilder {
 public:
  /// Starts a message of `type` with `tid`. `cookie` is kMagicCookie except when answering a
  /// classic RFC 3489 request, whose 128-bit transaction id is echoed whole.
  MessageBuilder(MutableBytes buffer, std::uint16_t type, const TransactionId& tid,
                 std::uint32_t cookie = kMagicCookie);

  /// A response of class `cls` to `request`: same method, same transaction id and cookie.
  static MessageBuilder response_to(MutableBytes buffer, const MessageView& request, Class cls);

  template <typename C>
  MessageBuilder& add(const Attribute<C>& attribute, const typename C::Value& value) {
    const std::size_t n = C::size(value);
    if (auto out = reserve_ordinary(attribute.code(), n)) {
      C::encode(out->first(n), value, tid_);
    }
    return *this;
  }
  /// Appends an attribute whose value the caller has encoded.
  MessageBuilder& add_raw(std::uint16_t type, Bytes value);

  /// Appends MESSAGE-INTEGRITY: HMAC-SHA1 keyed by `key` (RFC 8489 §14.5).
  MessageBuilder& add_integrity_sha1(Bytes key);
  /// Appends MESSAGE-INTEGRITY-SHA256: the full 32-byte HMAC-SHA256 (RFC 8489 §14.6).
  MessageBuilder& add_integrity_sha256(Bytes key);
  /// Appends FINGERPRINT: CRC-32 of the message so far XOR 0x5354554e (RFC 8489 §14.7).
  MessageBuilder& add_fingerprint();

  /// The finished message, or the first error met.
  Result<Bytes> finish() const;
  ParseError error() const { return error_; }
  std::size_t size() const { return size_; }

 private:
  enum class Stage : std::uint8_t { kAttributes, kIntegrity, kIntegritySha256, kFingerprint };

  /// Writes the attribute header and zeroed padding; returns the value region (padded size).
  std::optional<MutableBytes> reserve(std::uint16_t type, std::size_t length);
  /// reserve() for an ordinary attribute: refused once integrity or fingerprint is written.
  std::optional<MutableBytes> reserve_ordinary(std::uint16_t type, std::size_t length);
  bool advance(Stage next);
  void set_length(std::size_t body_length);

  MutableBytes buf_;
  std::size_t size_ = 0;
  TransactionId tid_{};
  Stage stage_ = Stage::kAttributes;
  ParseError error_ = ParseError::kOk;
};

}  // namespace stun
