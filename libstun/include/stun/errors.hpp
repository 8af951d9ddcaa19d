// Error values of the codec, and a small Result<T> (std::expected arrives with C++23).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace stun {

/// Every way the codec can refuse input or output. Each rejection rule has its own value so that a
/// server can count and log them separately.
enum class ParseError : std::uint8_t {
  kOk = 0,
  kShortHeader,              ///< fewer than 20 bytes
  kNotStun,                  ///< the two leading bits of the type are not zero
  kLengthNotMultipleOf4,     ///< message length field not a multiple of 4 (RFC 8489 §5)
  kLengthBeyondDatagram,     ///< message length field larger than the bytes received
  kAttributeOverrun,         ///< an attribute (or its header) runs past the end of the message
  kTooManyAttributes,        ///< more attributes than MessageView indexes (kMaxAttributes)
  kBadAddressFamily,         ///< address attribute with a family other than 0x01/0x02
  kBadAddressLength,         ///< address attribute whose length does not fit its family
  kBadAttributeLength,       ///< any other attribute with a length its type does not allow
  kBadAttributeValue,        ///< a value its type does not allow (error class out of 3-6, ...)
  kMissing,                  ///< the attribute asked for is not in the message
  kShortChannelData,         ///< fewer than 4 bytes of ChannelData header
  kChannelOutOfRange,        ///< ChannelData channel number outside 0x4000-0x4FFF
  kChannelDataBeyondBuffer,  ///< ChannelData length field larger than the bytes received
  kIncomplete,               ///< stream framer: more bytes are needed
  kFrameTooLarge,            ///< stream framer: frame larger than the configured cap
  kNotAFrame,                ///< stream framer: first byte is neither STUN nor ChannelData
  kBufferTooSmall,           ///< builder: the caller's buffer cannot hold the attribute
  kAttributeOrder,           ///< builder: attribute after MESSAGE-INTEGRITY(-SHA256)/FINGERPRINT
};

std::string_view to_string(ParseError e);

/// Either a value or a ParseError. Cheap to copy for the small value types the codec returns.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(ParseError error) : error_(error) {}    // NOLINT: implicit by design

  bool ok() const { return error_ == ParseError::kOk; }
  explicit operator bool() const { return ok(); }
  ParseError error() const { return error_; }

  /// Precondition: ok().
  const T& value() const& { return *value_; }
  const T& operator*() const& { return *value_; }
  const T* operator->() const { return &*value_; }
  T value_or(T fallback) const { return ok() ? *value_ : fallback; }

 private:
  std::optional<T> value_;
  ParseError error_ = ParseError::kOk;
};

}  // namespace stun
