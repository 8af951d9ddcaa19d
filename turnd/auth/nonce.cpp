#include "auth/nonce.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "stun/integrity.hpp"

namespace turn {
namespace {

constexpr std::size_t kCookieLen = 13;
/// The issue time in seconds modulo 2^24 (3 bytes: 194 days, far beyond any stale-nonce) and 64
/// bits of HMAC-SHA256 over it and the client IP: a forgery needs 2^64 tries per guess, and the
/// nonce is 28 characters, a multiple of 4, so NONCE needs no padding and the 401 every
/// unauthenticated request gets is as small as RFC 8489 allows with PASSWORD-ALGORITHMS.
constexpr std::size_t kTimeBytes = 3;
constexpr std::uint32_t kTimeModulus = 1u << 24;
constexpr std::size_t kMacBytes = 8;
constexpr std::size_t kBodyBytes = kTimeBytes + kMacBytes;
constexpr std::size_t kBodyChars = (kBodyBytes * 8 + 5) / 6;  // base64url, no padding: 15

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
  const std::uint8_t t[kTimeBytes] = {static_cast<std::uint8_t>(issued >> 16),
                                      static_cast<std::uint8_t>(issued >> 8),
                                      static_cast<std::uint8_t>(issued)};
  const stun::SocketAddress ip = client.unmapped();
  const stun::Bytes pieces[] = {stun::Bytes{t, kTimeBytes}, ip.ip_bytes()};
  std::array<std::uint8_t, 32> full;
  stun::hmac("SHA256", secret_, pieces, full);
  std::copy(full.begin(), full.begin() + kMacBytes, out);
}

std::string NonceIssuer::issue(const stun::SocketAddress& client, std::uint64_t now_s) const {
  // Advertise PASSWORD-ALGORITHMS support (RFC 8489 §9.2.1).
  const auto cookie = stun::nonce_cookie(stun::kFeaturePasswordAlgorithms);
  std::string nonce(cookie.data(), cookie.size());
  const auto issued = static_cast<std::uint32_t>(now_s % kTimeModulus);
  std::uint8_t body[kBodyBytes];
  body[0] = static_cast<std::uint8_t>(issued >> 16);
  body[1] = static_cast<std::uint8_t>(issued >> 8);
  body[2] = static_cast<std::uint8_t>(issued);
  mac(issued, client, body + kTimeBytes);
  // base64url, 6 bits a character, the last one zero-filled.
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t byte : body) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      nonce.push_back(kBase64Url[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0)
    nonce.push_back(kBase64Url[(acc << (6 - bits)) & 0x3F]);
  return nonce;
}

NonceIssuer::Check NonceIssuer::check(std::string_view nonce, const stun::SocketAddress& client,
                                      std::uint64_t now_s) const {
  if (nonce.size() != kCookieLen + kBodyChars)
    return Check::kInvalid;
  std::uint8_t body[kBodyBytes];
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t out = 0;
  for (std::size_t i = kCookieLen; i < nonce.size(); ++i) {
    const int d = base64url_value(nonce[i]);
    if (d < 0)
      return Check::kInvalid;
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out < kBodyBytes)
        body[out++] = static_cast<std::uint8_t>(acc >> bits);
    }
  }
  // The filler bits of the last character must be zero: one spelling per nonce.
  if (out != kBodyBytes || (acc & ((1u << bits) - 1)) != 0)
    return Check::kInvalid;
  const std::uint32_t issued =
      (std::uint32_t{body[0]} << 16) | (std::uint32_t{body[1]} << 8) | body[2];
  std::uint8_t expected[kMacBytes];
  mac(issued, client, expected);
  if (CRYPTO_memcmp(expected, body + kTimeBytes, kMacBytes) != 0)
    return Check::kInvalid;
  // RFC 8489 §9.2.4: a nonce that verifies but is too old gets 438 Stale Nonce. Ages are taken
  // modulo the 2^24-second time field; a few seconds ahead is clock slack.
  const auto now = static_cast<std::uint32_t>(now_s % kTimeModulus);
  const std::uint32_t age = (now - issued) % kTimeModulus;
  const std::uint32_t ahead = (issued - now) % kTimeModulus;
  if (ahead != 0 && ahead <= 5)
    return Check::kValid;
  if (age > lifetime_s_)
    return Check::kStale;
  return Check::kValid;
}

}  // namespace turn
