// The STUN and TURN error codes a server sends, each with its one reason phrase (RFC 8489 §14.8,
// RFC 8656 §19, RFC 6062 §6.3), so no call site spells a code or a phrase of its own.
#pragma once

#include <cstdint>
#include <string_view>

namespace stun {

/// The value is the code as ERROR-CODE carries it (class * 100 + number).
enum class ErrorCode : std::uint16_t {
  kTryAlternate = 300,                ///< RFC 8489 §14.8
  kBadRequest = 400,                  ///< RFC 8489 §14.8
  kUnauthorized = 401,                ///< RFC 8489 §14.8
  kForbidden = 403,                   ///< RFC 8656 §19
  kUnknownAttribute = 420,            ///< RFC 8489 §14.8
  kAllocationMismatch = 437,          ///< RFC 8656 §19
  kStaleNonce = 438,                  ///< RFC 8489 §14.8
  kAddressFamilyNotSupported = 440,   ///< RFC 8656 §19
  kWrongCredentials = 441,            ///< RFC 8656 §19
  kUnsupportedTransport = 442,        ///< RFC 8656 §19
  kPeerAddressFamilyMismatch = 443,   ///< RFC 8656 §19
  kConnectionAlreadyExists = 446,     ///< RFC 6062 §6.3
  kConnectionTimeoutOrFailure = 447,  ///< RFC 6062 §6.3
  kAllocationQuotaReached = 486,      ///< RFC 8656 §19
  kServerError = 500,                 ///< RFC 8489 §14.8
  kInsufficientCapacity = 508,        ///< RFC 8656 §19
};

constexpr std::uint16_t code_of(ErrorCode e) {
  return static_cast<std::uint16_t>(e);
}

/// The reason phrase RFC 8489 / RFC 8656 / RFC 6062 suggest for `e`.
constexpr std::string_view reason_phrase(ErrorCode e) {
  switch (e) {
    case ErrorCode::kTryAlternate:
      return "Try Alternate";
    case ErrorCode::kBadRequest:
      return "Bad Request";
    case ErrorCode::kUnauthorized:
      return "Unauthorized";
    case ErrorCode::kForbidden:
      return "Forbidden";
    case ErrorCode::kUnknownAttribute:
      return "Unknown Attribute";
    case ErrorCode::kAllocationMismatch:
      return "Allocation Mismatch";
    case ErrorCode::kStaleNonce:
      return "Stale Nonce";
    case ErrorCode::kAddressFamilyNotSupported:
      return "Address Family not Supported";
    case ErrorCode::kWrongCredentials:
      return "Wrong Credentials";
    case ErrorCode::kUnsupportedTransport:
      return "Unsupported Transport Protocol";
    case ErrorCode::kPeerAddressFamilyMismatch:
      return "Peer Address Family Mismatch";
    case ErrorCode::kConnectionAlreadyExists:
      return "Connection Already Exists";
    case ErrorCode::kConnectionTimeoutOrFailure:
      return "Connection Timeout or Failure";
    case ErrorCode::kAllocationQuotaReached:
      return "Allocation Quota Reached";
    case ErrorCode::kServerError:
      return "Server Error";
    case ErrorCode::kInsufficientCapacity:
      return "Insufficient Capacity";
  }
  return "Error";
}

}  // namespace stun
