// Helpers shared by the libstun tests: hex literals, byte views of strings, and a raw message
// writer that follows no rules, so tests can make the malformed and out-of-order messages that
// MessageBuilder refuses to write.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "stun/bytes.hpp"
#include "stun/types.hpp"

namespace stun_test {

/// Hex digits to bytes; whitespace is skipped so vectors can be laid out as in the RFC text.
inline std::vector<std::uint8_t> hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out;
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t')
      continue;
    const int v = nibble(c);
    if (v < 0)
      throw std::invalid_argument("not a hex digit");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0)
    throw std::invalid_argument("odd number of hex digits");
  return out;
}

inline stun::Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string_view as_text(stun::Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline bool same_bytes(stun::Bytes a, stun::Bytes b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

inline constexpr stun::TransactionId kTid = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                                             0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98};

/// Writes a STUN message byte by byte with no checks: attributes in the order given, lengths as
/// given, padding as given. The header length is kept equal to the body unless overridden.
class RawMessage {
 public:
  explicit RawMessage(std::uint16_t type = 0x0001, std::uint32_t cookie = stun::kMagicCookie) {
    bytes_.resize(stun::kHeaderSize);
    stun::store_u16(bytes_.data(), type);
    stun::store_u32(bytes_.data() + 4, cookie);
    std::copy(kTid.begin(), kTid.end(), bytes_.begin() + 8);
    sync_length();
  }

  /// Appends an attribute with `value`, zero padding to 4 bytes.
  RawMessage& attr(std::uint16_t type, stun::Bytes value) {
    return attr_with_length(type, static_cast<std::uint16_t>(value.size()), value);
  }
  RawMessage& attr(std::uint16_t type, std::initializer_list<std::uint8_t> value) {
    const std::vector<std::uint8_t> v(value);
    return attr(type, stun::Bytes{v});
  }
  /// Appends a header claiming `length`, then `value` (which may be shorter or longer), padded.
  RawMessage& attr_with_length(std::uint16_t type, std::uint16_t length, stun::Bytes value) {
    const std::size_t at = bytes_.size();
    bytes_.resize(at + stun::kAttributeHeaderSize);
    stun::store_u16(bytes_.data() + at, type);
    stun::store_u16(bytes_.data() + at + 2, length);
    bytes_.insert(bytes_.end(), value.begin(), value.end());
    bytes_.resize(at + stun::kAttributeHeaderSize + stun::pad4(value.size()), 0);
    sync_length();
    return *this;
  }
  /// Appends bytes to the body verbatim.
  RawMessage& append(stun::Bytes extra) {
    bytes_.insert(bytes_.end(), extra.begin(), extra.end());
    sync_length();
    return *this;
  }
  /// Overrides the header's length field (no longer kept in sync).
  RawMessage& length_field(std::uint16_t length) {
    fixed_length_ = true;
    stun::store_u16(bytes_.data() + 2, length);
    return *this;
  }

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  stun::Bytes view() const { return bytes_; }

 private:
  void sync_length() {
    if (!fixed_length_) {
      stun::store_u16(bytes_.data() + 2,
                      static_cast<std::uint16_t>(bytes_.size() - stun::kHeaderSize));
    }
  }

  std::vector<std::uint8_t> bytes_;
  bool fixed_length_ = false;
};

}  // namespace stun_test
