#include "handlers/alternate.hpp"

#include <algorithm>

#include "handlers/request.hpp"
#include "util/log.hpp"

namespace turn {
namespace {

/// Whether this node should send the Allocate away. always: yes, unless the node is itself in
/// the list (coturn's load-balancer node); overflow: only when it cannot take the allocation
/// (total-quota or bps-capacity reached). Draining: yes, in both modes.
bool wants_redirect(Request& r, const std::vector<stun::SocketAddress>& list) {
  SharedState& shared = r.shared();
  if (shared.draining.load(std::memory_order_relaxed))
    return true;
  if (r.config().alternate_server_mode == Config::AlternateMode::kOverflow) {
    return shared.quota.total_reached() ||
           shared.bandwidth.full(shared.max_bps.load(std::memory_order_relaxed),
                                 r.config().bps_capacity);
  }
  return std::none_of(list.begin(), list.end(), [&](const stun::SocketAddress& a) {
    return is_own_address(a, shared.listener_addresses);
  });
}

}  // namespace

const std::vector<stun::SocketAddress>& alternates_for(const Config& config,
                                                       ClientTransport transport) {
  const std::vector<stun::SocketAddress>* own = nullptr;
  switch (transport) {
    case ClientTransport::kTls:
    case ClientTransport::kDtls:
      own = &config.tls_alternate_servers;
      break;
    case ClientTransport::kTcp:
      own = &config.tcp_alternate_servers;
      break;
    case ClientTransport::kUdp:
      own = &config.udp_alternate_servers;
      break;
  }
  return own->empty() ? config.alternate_servers : *own;
}

bool is_own_address(const stun::SocketAddress& a, std::span<const stun::SocketAddress> own) {
  const stun::SocketAddress plain = a.unmapped();
  return std::any_of(own.begin(), own.end(),
                     [&](const stun::SocketAddress& l) { return l.unmapped() == plain; });
}

std::optional<stun::SocketAddress> next_alternate(const std::vector<stun::SocketAddress>& list,
                                                  std::uint8_t family,
                                                  std::span<const stun::SocketAddress> own,
                                                  std::atomic<std::uint64_t>& turn) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& a = list[turn.fetch_add(1, std::memory_order_relaxed) % list.size()];
    if (a.unmapped().family == family && !is_own_address(a, own))
      return a;
  }
  return std::nullopt;
}

bool redirect_allocate(Request& r) {
  // RFC 8489 §14.8: "MUST only be sent if the request included ... a valid MESSAGE-INTEGRITY";
  // it also means a forged UDP source never gets one (it cannot answer our 401), so the 300 is
  // no reflection vector. With no-auth nothing is redirected.
  if (r.auth.key_len == 0)
    return false;
  const ClientTransport transport = r.ctx.transport_of(r.key);
  const auto& list = alternates_for(r.config(), transport);
  if (list.empty() || !wants_redirect(r, list))
    return false;
  SharedState& shared = r.shared();
  const std::uint8_t family = r.ctx.listener_address(r.key.listener).unmapped().family;
  const auto target =
      next_alternate(list, family, shared.listener_addresses, shared.alternate_turn);
  if (!target)
    return false;  // none of the client's family (or only ourselves): served here

  WorkerStats::add(r.ctx.stats().error_responses);
  WorkerStats::add(r.ctx.stats().alternate_redirects);
  if (log::enabled(log::Level::kVerbose)) {
    log::write(log::Level::kVerbose,
               "allocate redirected: client=" + r.client().to_string() +
                   " transport=" + client_transport_name(transport) +
                   " user=" + log::sanitize(r.auth.user) + " alternate=" + target->to_string() +
                   (shared.draining.load(std::memory_order_relaxed) ? " (draining)" : ""));
  }
  // As small as the RFC allows: ERROR-CODE, ALTERNATE-SERVER, ALTERNATE-DOMAIN over (D)TLS
  // when configured (RFC 8489 §10: the name the new server's certificate carries), then
  // MESSAGE-INTEGRITY (and FINGERPRINT when asked) from seal_response.
  Response response(r, stun::Class::kError);
  auto& b = response.builder();
  b.add(stun::attr::kErrorCode, {stun::code_of(stun::ErrorCode::kTryAlternate),
                                 stun::reason_phrase(stun::ErrorCode::kTryAlternate)});
  b.add(stun::attr::kAlternateServer, *target);
  const bool secure = transport == ClientTransport::kTls || transport == ClientTransport::kDtls;
  if (secure && !r.config().alternate_domain.empty())
    b.add(stun::attr::kAlternateDomain, r.config().alternate_domain);
  response.send();
  return true;
}

}  // namespace turn
