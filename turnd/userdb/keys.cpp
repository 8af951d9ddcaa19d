#include "userdb/keys.hpp"

namespace turn {
namespace {

int nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

bool parse_hex(std::string_view hex, std::span<std::uint8_t> out) {
  if (hex.size() != out.size() * 2)
    return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::optional<stun::Md5Key> parse_hex_key(std::string_view text) {
  if (text.size() != 34 || text.substr(0, 2) != "0x")
    return std::nullopt;
  stun::Md5Key key;
  if (!parse_hex(text.substr(2), key))
    return std::nullopt;
  return key;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xF]);
  }
  return s;
}

std::optional<std::string> coturn_saslprep(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0xAD)
      continue;
    if (c == 0xA0 || c == 0x20) {
      out.push_back(' ');
      continue;
    }
    if (c == 0x7F || c < 0x1F || (c >= 0x80 && c <= 0x9F))
      return std::nullopt;
    out.push_back(ch);
  }
  return out;
}

}  // namespace turn
