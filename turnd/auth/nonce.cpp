#include "auth/nonce.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>

#include "stun/integrity.hpp"
#include "userdb/keys.hpp"

namespace turn {
namespace {

constexpr std::size_t kCookieLen = 13;
constexpr std::size_t kTimeLen = 8;
constexpr std::size_t kMacLen = 24;  // 96 bits of HMAC-SHA256 in hex

}  // namespace

NonceIssuer::NonceIssuer(unsigned lifetime_s) : lifetime_s_(lifetime_s) {
  if (RAND_bytes(secret_.data(), static_cast<int>(secret_.size())) != 1) {
    throw std::runtime_error("cannot draw the nonce secret from the CSPRNG");
  }
}

std::string NonceIssuer::mac_hex(std::uint32_t issued, const stun::SocketAddress& client) const {
  std::uint8_t t[4];
  stun::store_u32(t, issued);
  const stun::Bytes pieces[] = {stun::Bytes{t, 4}, client.ip_bytes()};
  std::array<std::uint8_t, 32> mac;
  stun::hmac("SHA256", secret_, pieces, mac);
  return to_hex({mac.data(), kMacLen / 2});
}

std::string NonceIssuer::issue(const stun::SocketAddress& client, std::uint64_t now_s) const {
  // Advertise PASSWORD-ALGORITHMS support (RFC 8489 §9.2.1).
  const auto cookie = stun::nonce_cookie(stun::kFeaturePasswordAlgorithms);
  std::string nonce(cookie.data(), cookie.size());
  const auto issued = static_cast<std::uint32_t>(now_s);
  std::uint8_t t[4];
  stun::store_u32(t, issued);
  nonce += to_hex(t);
  nonce += mac_hex(issued, client);
  return nonce;
}

NonceIssuer::Check NonceIssuer::check(std::string_view nonce, const stun::SocketAddress& client,
                                      std::uint64_t now_s) const {
  if (nonce.size() != kCookieLen + kTimeLen + kMacLen)
    return Check::kInvalid;
  std::uint32_t issued = 0;
  const char* time_at = nonce.data() + kCookieLen;
  auto [end, ec] = std::from_chars(time_at, time_at + kTimeLen, issued, 16);
  if (ec != std::errc{} || end != time_at + kTimeLen)
    return Check::kInvalid;
  const std::string expected = mac_hex(issued, client);
  if (CRYPTO_memcmp(expected.data(), nonce.data() + kCookieLen + kTimeLen, kMacLen) != 0) {
    return Check::kInvalid;
  }
  // RFC 8489 §9.2.4: a nonce that verifies but is too old gets 438 Stale Nonce.
  if (issued > now_s + 5 || now_s - issued > lifetime_s_)
    return Check::kStale;
  return Check::kValid;
}

}  // namespace turn
