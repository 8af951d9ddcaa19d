// What a handler gets for one request, and how it answers.
#pragma once

#include <cstdint>
#include <string_view>

#include "auth/authenticator.hpp"
#include "handlers/turn_context.hpp"
#include "stun/builder.hpp"
#include "stun/error_codes.hpp"
#include "stun/message_view.hpp"

namespace turn {

struct Request {
  TurnContext& ctx;
  const ClientKey& key;
  const stun::MessageView& msg;
  AuthOutcome auth;  ///< kOk with an empty key when authentication is off or not required

  const stun::SocketAddress& client() const { return key.client; }
  SharedState& shared() const { return ctx.shared(); }
  const Config& config() const { return ctx.config(); }
  const PeerPolicy& policy() const { return ctx.settings().policy; }
  std::uint64_t now_ms() const { return ctx.now_ms(); }
};

/// A response being built in the context's transmit buffer.
class Response {
 public:
  Response(Request& request, stun::Class cls);
  stun::MessageBuilder& builder() { return builder_; }
  /// Seals the response (seal_response: SOFTWARE, integrity, FINGERPRINT) and sends it.
  /// Returns the bytes sent (valid until the next response).
  stun::Bytes send();

 private:
  Request& request_;
  stun::MessageBuilder builder_;
};

/// An error response (RFC 8489 §14.8) with the code's one reason phrase, signed when the request
/// authenticated.
void send_error(Request& request, stun::ErrorCode code);
/// ADDRESS-ERROR-CODE's value (RFC 8656 §18.12) for one family of a dual allocation.
inline stun::codec::AddressErrorCode::Value address_error(std::uint8_t family, stun::ErrorCode e) {
  return {family, stun::code_of(e), stun::reason_phrase(e)};
}
/// 420 with the unknown comprehension-required attributes (RFC 8489 §6.3.1.1).
void send_unknown_attributes(Request& request);
/// 401 or 438 (kUnauthorized, kStaleNonce) with REALM, a fresh NONCE and PASSWORD-ALGORITHMS (RFC
/// 8489 §9.2.4); unsigned.
void send_challenge(Request& request, stun::ErrorCode code);

/// The allocation of the request's 5-tuple, checked for RFC 8656 §5's rule that later requests
/// use the same credentials (else 441). Sends 437/441 and returns nullptr when it fails.
Allocation* owned_allocation(Request& request);

/// RFC 8656 §7.2/§8: the lifetime granted for a requested one (default 600 s, capped by
/// max-allocate-lifetime; a shorter request gets the default).
std::uint32_t negotiate_lifetime(const Config& config, std::optional<std::uint32_t> requested);

// One handler per TURN/STUN method (RFC 8489 §6, RFC 8656 §7-§11).
void handle_binding(Request& request);
void handle_allocate(Request& request);
void handle_refresh(Request& request);
void handle_create_permission(Request& request);
void handle_channel_bind(Request& request);
// RFC 6062 §5.2, §5.4.
void handle_connect(Request& request);
void handle_connection_bind(Request& request);

}  // namespace turn
