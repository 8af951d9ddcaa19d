// Refresh (RFC 8656 §8): extends or (LIFETIME 0) deletes the allocation.
#include "handlers/request.hpp"

namespace turn {

void handle_refresh(Request& r) {
  Allocation* a = owned_allocation(r);
  if (a == nullptr)
    return;
  if (auto family = r.msg.get(stun::attr::kRequestedAddressFamily); family && !a->serves(*family)) {
    send_error(r, stun::ErrorCode::kPeerAddressFamilyMismatch);
    return;
  }
  auto requested = r.msg.get(stun::attr::kLifetime);
  Response response(r, stun::Class::kSuccess);
  if (requested && *requested == 0) {
    // Delete first, answer second: once the client has the answer, the allocation is gone
    // everywhere it can look (counters, logs), not a moment later.
    WorkerStats::add(r.ctx.stats().allocations_deleted);
    r.ctx.allocations().remove(*a, "deleted");
    response.builder().add(stun::attr::kLifetime, 0u);
    response.send();
    return;
  }
  r.ctx.allocations().set_lifetime(
      *a, negotiate_lifetime(r.config(), requested ? std::optional(*requested) : std::nullopt),
      r.now_ms());
  response.builder().add(stun::attr::kLifetime, a->lifetime_s);
  response.send();
}

}  // namespace turn
