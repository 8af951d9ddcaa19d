// A STUN request, parsed and with a valid FINGERPRINT if it has one, on its way to its method's
// handler: the request rate limit and authentication (RFC 8489 §9.2) come first, then the
// method's checks. Responses and indications never get here (ingress/ingress.cpp).
#pragma once

#include "alloc/allocation.hpp"
#include "handlers/turn_context.hpp"
#include "stun/message_view.hpp"

namespace turn {

void handle_request(TurnContext& ctx, const ClientKey& key, const stun::MessageView& msg);

}  // namespace turn
