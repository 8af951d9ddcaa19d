// STUN Binding (RFC 8489 §6.3): no authentication; the reflexive address as the server saw it.
#include "handlers/request.hpp"

namespace turn {

void handle_binding(Request& r) {
  WorkerStats& stats = r.ctx.stats();
  WorkerStats::add(stats.stun_binding_requests);
  if (!r.msg.unknown_required().empty()) {
    WorkerStats::add(stats.stun_binding_errors);
    send_unknown_attributes(r);
    return;
  }
  Response response(r, stun::Class::kSuccess);
  if (r.msg.is_classic()) {
    // RFC 3489 §11.2.1 clients know only MAPPED-ADDRESS (and cannot undo the XOR).
    response.builder().add(stun::attr::kMappedAddress, r.client());
  } else {
    response.builder().add(stun::attr::kXorMappedAddress, r.client());
  }
  response.send();
}

}  // namespace turn
