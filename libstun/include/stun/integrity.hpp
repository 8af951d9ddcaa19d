// Credentials and message integrity (RFC 8489 §9, §14.5, §14.6, §14.4).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "stun/bytes.hpp"
#include "stun/message_view.hpp"

namespace stun {

using Md5Key = std::array<std::uint8_t, 16>;
using Sha256Key = std::array<std::uint8_t, 32>;
using Userhash = std::array<std::uint8_t, 32>;

/// Long-term key for PASSWORD-ALGORITHM MD5 and for plain MESSAGE-INTEGRITY (RFC 8489 §9.2.2):
/// MD5(username ":" realm ":" password). Strings are used as given (already SASLprep'd /
/// OpaqueString).
Md5Key long_term_key_md5(std::string_view username, std::string_view realm,
                         std::string_view password);
/// Long-term key for PASSWORD-ALGORITHM SHA-256 (RFC 8489 §9.2.2).
Sha256Key long_term_key_sha256(std::string_view username, std::string_view realm,
                               std::string_view password);
/// Short-term key (RFC 8489 §9.1.1): the OpaqueString-processed password itself.
inline Bytes short_term_key(std::string_view password) {
  return {reinterpret_cast<const std::uint8_t*>(password.data()), password.size()};
}
/// USERHASH = SHA-256(username ":" realm) (RFC 8489 §14.4).
Userhash userhash(std::string_view username, std::string_view realm);

/// Verifies MESSAGE-INTEGRITY (HMAC-SHA1) against `key`. The HMAC covers the message up to the
/// attribute with the header length patched to end just after it; the received bytes are never
/// modified. Constant-time comparison. False when the attribute is absent or malformed.
bool verify_integrity_sha1(const MessageView& msg, Bytes key);
/// Verifies MESSAGE-INTEGRITY-SHA256, which may be truncated to 16..32 bytes in multiples of 4.
bool verify_integrity_sha256(const MessageView& msg, Bytes key);
/// Verifies FINGERPRINT; false when absent.
bool verify_fingerprint(const MessageView& msg);

/// HMAC over several pieces without concatenating them. `algorithm` is "SHA1" or "SHA256".
/// Returns the MAC length written into `out` (20 or 32).
std::size_t hmac(std::string_view algorithm, Bytes key, std::span<const Bytes> pieces,
                 std::span<std::uint8_t, 32> out);

/// RFC 8489 §9.2: a NONCE that begins with "obMatJos2" followed by 4 base64 characters of 24
/// security-feature bits tells the client the server supports RFC 8489's features.
inline constexpr std::string_view kNonceCookie = "obMatJos2";
/// Security feature bits (RFC 8489 §18.1), numbered from the most significant of the 24 bits.
inline constexpr std::uint32_t kFeaturePasswordAlgorithms = 1u << 23;
inline constexpr std::uint32_t kFeatureUsernameAnonymity = 1u << 22;

/// "obMatJos2" + base64 of the 24 feature bits (13 characters).
std::array<char, 13> nonce_cookie(std::uint32_t features);
/// The feature bits of a nonce that starts with the cookie; nullopt otherwise.
std::optional<std::uint32_t> nonce_cookie_features(std::string_view nonce);

}  // namespace stun
