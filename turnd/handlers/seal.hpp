// The end every response gets, whether a handler answers at once or the worker answers later
// (RFC 6062's Connect and ConnectionBind).
#pragma once

#include "auth/authenticator.hpp"
#include "config/config.hpp"
#include "stun/builder.hpp"

namespace turn {

/// Adds SOFTWARE (if configured), MESSAGE-INTEGRITY(-SHA256) with the key the request
/// authenticated with (RFC 8489 §9.2.4: the attribute the request used), and FINGERPRINT when
/// configured or when the request had one (§14.7).
void seal_response(stun::MessageBuilder& b, const Config& config, const AuthOutcome& auth,
                   bool request_had_fingerprint);

}  // namespace turn
