#include "handlers/dispatcher.hpp"

#include "handlers/request.hpp"
#include "util/log.hpp"

namespace turn {
namespace {

bool is_turn_method(stun::Method m) {
  return m == stun::Method::kAllocate || m == stun::Method::kRefresh ||
         m == stun::Method::kCreatePermission || m == stun::Method::kChannelBind ||
         m == stun::Method::kConnect || m == stun::Method::kConnectionBind;
}

/// A failed authentication of a source that proved it received our nonce (a spoofed source
/// never gets here, so it can neither get a victim banned nor flood the log): counted toward
/// the source's ban, and logged as the one stable line conf/fail2ban matches.
void record_auth_failure(const Request& r, const AuthOutcome& outcome) {
  WorkerStats::add(r.ctx.stats().auth_failures);
  BanList& bans = r.shared().bans;
  const BanList::Failure f = bans.record_failure(r.client(), r.ctx.wall_s());
  if (f.log && log::enabled(log::Level::kWarning)) {
    auto realm = r.msg.get(stun::attr::kRealm);
    std::string line =
        "auth failure from " + r.client().ip_string() + " port " + std::to_string(r.client().port) +
        " transport=" + r.ctx.transport_name(r.key) + " user=\"" + log::sanitize(outcome.user) +
        "\" realm=\"" + log::sanitize(realm ? *realm : std::string_view{}) + "\" reason=\"" +
        outcome.reason + "\"";
    if (f.suppressed != 0)
      line += " (" + std::to_string(f.suppressed) + " similar lines suppressed)";
    log::warning(line);
  }
  if (f.banned) {
    const Config& c = r.config();
    log::warning("auth ban: " + BanList::shown(r.client()) + " banned for " +
                 std::to_string(c.auth_ban_bantime) + " s after " + std::to_string(f.recent) +
                 " authentication failures within " + std::to_string(c.auth_ban_findtime) + " s");
  }
}

/// RFC 8489 §9.2.4. Returns true when the request may proceed.
bool authenticate(Request& r) {
  const Config& config = r.config();
  if (config.no_auth) {
    r.auth.kind = AuthOutcome::Kind::kOk;
    return true;
  }
  const std::uint64_t now_s = r.ctx.wall_s();
  r.auth = r.shared().auth.check(r.msg, r.client(), now_s);
  if (r.auth.source_verified) {
    // It answered one of our 401s from this address: not a reflection victim.
    r.shared().verified_sources.mark(SourceKey::of(r.client()), static_cast<std::uint32_t>(now_s));
  }
  switch (r.auth.kind) {
    case AuthOutcome::Kind::kOk:
      return true;
    case AuthOutcome::Kind::kChallenge:
      send_challenge(r, stun::ErrorCode::kUnauthorized);
      return false;
    case AuthOutcome::Kind::kStale:
      send_challenge(r, stun::ErrorCode::kStaleNonce);
      return false;
    case AuthOutcome::Kind::kBadRequest:
      if (r.auth.source_verified) {
        record_auth_failure(r, r.auth);
      } else {
        // Credentials without a nonce of ours: anyone can send these with a forged source.
        WorkerStats::add(r.ctx.stats().auth_unverified);
      }
      r.auth = AuthOutcome{};
      send_error(r, stun::ErrorCode::kBadRequest);
      return false;
    case AuthOutcome::Kind::kUnauthorized:
      record_auth_failure(r, r.auth);
      send_challenge(r, stun::ErrorCode::kUnauthorized);
      return false;
  }
  return false;
}

/// request-ratelimit-rps: every TURN request costs an HMAC and a user lookup before we know
/// whether it is genuine, so one source gets only so many a second; the rest are dropped
/// unread (no answer: an answer would be work and, over UDP, reflection).
bool within_request_rate(Request& r) {
  const unsigned rps = r.config().request_ratelimit_rps;
  if (rps == 0)
    return true;
  const auto now_s = static_cast<std::uint32_t>(r.ctx.wall_s());
  const SourceRateTable::Verdict v =
      r.shared().requests.consume(SourceKey::of(r.client()), rps, now_s);
  if (v.allowed)
    return true;
  WorkerStats::add(r.ctx.stats().rate_limited_requests);
  if (v.first_drop && log::enabled(log::Level::kWarning)) {
    static log::RateLimit limit(5);
    log::write_limited(limit, log::Level::kWarning,
                       "request rate limit exceeded from " + r.client().ip_string() +
                           ", dropping its requests for this second (request-ratelimit-rps=" +
                           std::to_string(rps) + ")");
  }
  return false;
}

}  // namespace

void handle_request(TurnContext& ctx, const ClientKey& key, const stun::MessageView& msg) {
  Request r{ctx, key, msg, {}};
  const Config& config = ctx.config();
  const stun::Method method = msg.method();
  if (method == stun::Method::kBinding) {
    // coturn 4.7+: classic RFC 3489 requests only with stun-backward-compatibility.
    if (config.no_stun || (msg.is_classic() && !config.stun_backward_compatibility))
      return;
    if (config.log_binding && log::enabled(log::Level::kInfo)) {
      static log::RateLimit limit(20);
      log::write_limited(limit, log::Level::kInfo,
                         "binding request from " + r.client().to_string() +
                             " transport=" + ctx.transport_name(key));
    }
    // secure-stun: Binding needs the same long-term credentials as TURN requests.
    if (config.secure_stun && !msg.is_classic() && (!within_request_rate(r) || !authenticate(r)))
      return;
    handle_binding(r);
    return;
  }
  if (!is_turn_method(method) || config.stun_only || msg.is_classic()) {
    send_error(r, stun::ErrorCode::kBadRequest);  // unknown method, or TURN disabled
    return;
  }
  if (!within_request_rate(r) || !authenticate(r))
    return;
  if (!msg.unknown_required().empty()) {
    send_unknown_attributes(r);
    return;
  }
  switch (method) {
    case stun::Method::kAllocate:
      handle_allocate(r);
      break;
    case stun::Method::kRefresh:
      handle_refresh(r);
      break;
    case stun::Method::kCreatePermission:
      handle_create_permission(r);
      break;
    case stun::Method::kChannelBind:
      handle_channel_bind(r);
      break;
    case stun::Method::kConnect:
      handle_connect(r);
      break;
    case stun::Method::kConnectionBind:
      handle_connection_bind(r);
      break;
    default:
      break;
  }
}

}  // namespace turn
