#include "userdb/rest_api.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "stun/integrity.hpp"

namespace turn::userdb {
namespace {

std::optional<std::int64_t> all_digits(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value < 0)
    return std::nullopt;
  return value;
}

stun::Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::optional<std::int64_t> rest_expiry(std::string_view username, char separator) {
  const auto sep = username.find(separator);
  if (sep == std::string_view::npos)
    return all_digits(username);
  if (auto ts = all_digits(username.substr(0, sep)))
    return ts;
  return all_digits(username.substr(sep + 1));
}

std::string rest_real_username(std::string_view username, char separator) {
  const auto sep = username.find(separator);
  if (sep == std::string_view::npos)
    return std::string(username);
  if (sep == 0)
    return std::string(username.substr(1));
  if (all_digits(username.substr(0, sep)))
    return std::string(username.substr(sep + 1));
  return std::string(username.substr(0, sep));
}

std::string rest_password(std::string_view secret, std::string_view username) {
  std::array<std::uint8_t, 32> mac{};
  const stun::Bytes pieces[] = {as_bytes(username)};
  const std::size_t n = stun::hmac("SHA1", as_bytes(secret), pieces, mac);
  return base64(std::span<const std::uint8_t>(mac.data(), n));
}

std::string base64(std::span<const std::uint8_t> bytes) {
  // OpenSSL's encoder: 4 characters per 3 bytes, the last group padded with '=' (RFC 4648 §4),
  // and a NUL after them. It takes an int length, so long inputs go in whole 3-byte groups
  // (their encodings concatenate; only the last call pads).
  constexpr std::size_t kChunk = std::size_t{3} << 20;
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  auto* to = reinterpret_cast<unsigned char*>(out.data());
  std::size_t written = 0;
  for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, bytes.size() - at);
    written += static_cast<std::size_t>(
        EVP_EncodeBlock(to + written, bytes.data() + at, static_cast<int>(n)));
  }
  out.resize(written);
  return out;
}

}  // namespace turn::userdb
