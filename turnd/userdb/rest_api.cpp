#include "userdb/rest_api.hpp"

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
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8 |
                            std::uint32_t{bytes[i + 2]};
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(kAlphabet[v >> 6 & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (rest == 2)
      v |= std::uint32_t{bytes[i + 1]} << 8;
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(rest == 2 ? kAlphabet[v >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace turn::userdb
