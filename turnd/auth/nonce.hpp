// Stateless nonces (RFC 8489 §9.2): an HMAC over an issue time and the client address, keyed by a
// per-process secret, so no state exists for a source before it authenticates (coturn 4.16
// stateless-nonce; pion/turn#361).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "stun/address.hpp"

namespace turn {

class NonceIssuer {
 public:
  enum class Check : std::uint8_t { kValid, kStale, kInvalid };

  /// `lifetime_s`: stale-nonce. The secret is drawn from the OS CSPRNG.
  explicit NonceIssuer(unsigned lifetime_s);

  /// "obMatJos2" + feature bits + base64url(issue time mod 2^24, 64-bit MAC): 28 characters,
  /// so the 401 every unauthenticated request gets stays small.
  std::string issue(const stun::SocketAddress& client, std::uint64_t now_s) const;
  Check check(std::string_view nonce, const stun::SocketAddress& client, std::uint64_t now_s) const;

 private:
  /// HMAC-SHA256(secret, issue time || client IP), truncated to 8 bytes, into `out`.
  void mac(std::uint32_t issued, const stun::SocketAddress& client, std::uint8_t* out) const;

  std::array<std::uint8_t, 32> secret_{};
  unsigned lifetime_s_;
};

}  // namespace turn
