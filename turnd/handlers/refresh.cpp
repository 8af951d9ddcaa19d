// Refresh (RFC 8656 §8): extends or (LIFETIME 0) deletes the allocation.
#include "handlers/request.hpp"

namespace turn {

void handle_refresh(Request& r) {
  Allocation* a = owned_allocation(r);
  if (a == nullptr)
    return;
  if (auto family = r.msg.get(stun::attr::kRequestedAddressFamily); family && !a->serves(*family)) {
    send_error(r, 443, "Peer Address Family Mismatch");
    return;
  }
  auto requested = r.msg.get(stun::attr::kLifetime);
  Response response(r, stun::Class::kSuccess);
  if (requested && *requested == 0) {
    // Delete first, answer second: once the client has the answer, the allocation is gone
    // everywhere it can look (counters, logs), not a moment later.
    WorkerStats::add(r.worker.counters().allocations_deleted);
    r.worker.remove_allocation(*a, "deleted");
    response.builder().add(stun::attr::kLifetime, 0u);
    response.send();
    return;
  }
  a->lifetime_s =
      negotiate_lifetime(r.config(), requested ? std::optional(*requested) : std::nullopt);
  a->expires_ms = r.now_ms() + std::uint64_t{a->lifetime_s} * 1000;
  response.builder().add(stun::attr::kLifetime, a->lifetime_s);
  response.send();
}

}  // namespace turn
