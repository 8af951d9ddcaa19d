#include "auth/nonce.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "stun/integrity.hpp"

namespace turn {
namespace {

constexpr std::size_t kCookieLen = 13;
/// The issue time (4 bytes) and 64 bits of HMAC-SHA256 over it and the client IP: a forgery
/// needs 2^64 tries per guess, and the nonce stays short (a 401 is an answer to anyone).
constexpr std::size_t kTimeBytes = 4;
constexpr std::size_t kMacBytes = 8;
constexpr std::size_t kBodyBytes = kTimeBytes + kMacBytes;
constexpr std::size_t kBodyChars = kBodyBytes * 4 / 3;  // base64url of 12 bytes, no padding
static_assert(kBodyBytes % 3 == 0);

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

}  // namespace

NonceIssuer::NonceIssuer(unsigned lifetime_s) : lifetime_s_(lifetime_s) {
  if (RAND_bytes(secret_.data(), static_cast<int>(secret_.size())) != 1) {
    throw std::runtime_error("cannot draw the nonce secret from the CSPRNG");
  }
}

void NonceIssuer::mac(std::uint32_t issued, const stun::SocketAddress& client,
                      std::uint8_t* out) const {
  std::uint8_t t[4];
  stun::store_u32(t, issued);
  const stun::SocketAddress ip = client.unmapped();
  const stun::Bytes pieces[] = {stun::Bytes{t, 4}, ip.ip_bytes()};
  std::array<std::uint8_t, 32> full;
  stun::hmac("SHA256", secret_, pieces, full);
  std::copy(full.begin(), full.begin() + kMacBytes, out);
}

std::string NonceIssuer::issue(const stun::SocketAddress& client, std::uint64_t now_s) const {
  // Advertise PASSWORD-ALGORITHMS support (RFC 8489 §9.2.1).
  const auto cookie = stun::nonce_cookie(stun::kFeaturePasswordAlgorithms);
  std::string nonce(cookie.data(), cookie.size());
  const auto issued = static_cast<std::uint32_t>(now_s);
  std::uint8_t body[kBodyBytes];
  stun::store_u32(body, issued);
  mac(issued, client, body + kTimeBytes);
  for (std::size_t i = 0; i < kBodyBytes; i += 3) {
    const std::uint32_t v =
        (std::uint32_t{body[i]} << 16) | (std::uint32_t{body[i + 1]} << 8) | body[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6)
      nonce.push_back(kBase64Url[(v >> shift) & 0x3F]);
  }
  return nonce;
}

NonceIssuer::Check NonceIssuer::check(std::string_view nonce, const stun::SocketAddress& client,
                                      std::uint64_t now_s) const {
  if (nonce.size() != kCookieLen + kBodyChars)
    return Check::kInvalid;
  std::uint8_t body[kBodyBytes];
  for (std::size_t i = 0, at = kCookieLen; i < kBodyBytes; i += 3, at += 4) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const int d = base64url_value(nonce[at + k]);
      if (d < 0)
        return Check::kInvalid;
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    body[i] = static_cast<std::uint8_t>(v >> 16);
    body[i + 1] = static_cast<std::uint8_t>(v >> 8);
    body[i + 2] = static_cast<std::uint8_t>(v);
  }
  const std::uint32_t issued = stun::load_u32(body);
  std::uint8_t expected[kMacBytes];
  mac(issued, client, expected);
  if (CRYPTO_memcmp(expected, body + kTimeBytes, kMacBytes) != 0)
    return Check::kInvalid;
  // RFC 8489 §9.2.4: a nonce that verifies but is too old gets 438 Stale Nonce.
  if (issued > now_s + 5 || now_s - issued > lifetime_s_)
    return Check::kStale;
  return Check::kValid;
}

}  // namespace turn
