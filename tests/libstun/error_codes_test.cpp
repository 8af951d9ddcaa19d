// The server's error codes: each code's value and its one reason phrase (RFC 8489 §14.8,
// RFC 8656 §19, RFC 6062 §6.3).
#include "stun/error_codes.hpp"

#include <doctest/doctest.h>

TEST_CASE("error codes: values and reason phrases as the RFCs give them") {
  using stun::ErrorCode;
  struct Row {
    ErrorCode code;
    std::uint16_t value;
    const char* reason;
  };
  const Row rows[] = {
      {ErrorCode::kTryAlternate, 300, "Try Alternate"},
      {ErrorCode::kBadRequest, 400, "Bad Request"},
      {ErrorCode::kUnauthorized, 401, "Unauthorized"},
      {ErrorCode::kForbidden, 403, "Forbidden"},
      {ErrorCode::kUnknownAttribute, 420, "Unknown Attribute"},
      {ErrorCode::kAllocationMismatch, 437, "Allocation Mismatch"},
      {ErrorCode::kStaleNonce, 438, "Stale Nonce"},
      {ErrorCode::kAddressFamilyNotSupported, 440, "Address Family not Supported"},
      {ErrorCode::kWrongCredentials, 441, "Wrong Credentials"},
      {ErrorCode::kUnsupportedTransport, 442, "Unsupported Transport Protocol"},
      {ErrorCode::kPeerAddressFamilyMismatch, 443, "Peer Address Family Mismatch"},
      {ErrorCode::kConnectionAlreadyExists, 446, "Connection Already Exists"},
      {ErrorCode::kConnectionTimeoutOrFailure, 447, "Connection Timeout or Failure"},
      {ErrorCode::kAllocationQuotaReached, 486, "Allocation Quota Reached"},
      {ErrorCode::kServerError, 500, "Server Error"},
      {ErrorCode::kInsufficientCapacity, 508, "Insufficient Capacity"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.value);
    CHECK(stun::code_of(r.code) == r.value);
    CHECK(stun::reason_phrase(r.code) == r.reason);
  }
}
