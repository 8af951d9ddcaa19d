#include <algorithm>

#include "handlers/request.hpp"
#include "handlers/seal.hpp"
#include "util/log.hpp"

namespace turn {

Response::Response(Request& request, stun::Class cls)
    : request_(request),
      builder_(stun::MessageBuilder::response_to(request.ctx.tx_buffer(), request.msg, cls)) {}

void seal_response(stun::MessageBuilder& b, const Config& config, const AuthOutcome& auth,
                   bool request_had_fingerprint) {
  if (config.software_attribute)
    b.add(stun::attr::kSoftware, config.software);
  if (auth.kind == AuthOutcome::Kind::kOk && auth.key_len != 0) {
    if (auth.sha256) {
      b.add_integrity_sha256(auth.key_bytes());
    } else {
      b.add_integrity_sha1(auth.key_bytes());
    }
  }
  if (config.fingerprint || request_had_fingerprint)
    b.add_fingerprint();
}

stun::Bytes Response::send() {
  seal_response(builder_, request_.config(), request_.auth,
                request_.msg.fingerprint_offset().has_value());
  auto bytes = builder_.finish();
  if (!bytes) {
    log::error(std::string("cannot build response: ") +
               std::string(stun::to_string(bytes.error())));
    return {};
  }
  request_.ctx.send_to_client(request_.key, *bytes);
  return *bytes;
}

namespace {

/// unauthorized-ratelimit (coturn 4.14, docs/401-ratelimit.md): an unsigned error answer over
/// UDP may go to a forged source, and is bigger than the request (a 401 carries REALM, NONCE,
/// PASSWORD-ALGORITHMS), which makes turnd a reflector. At most unauthorized-ratelimit-rps of
/// them a second go to one source; the rest are dropped. Not limited: answers over TCP/TLS/DTLS
/// (the handshake proved the source), signed answers (the client authenticated), and answers to
/// a source that sent back one of our nonces within stale-nonce seconds (it receives at its
/// address: a NAT with many clients behind it gets its 401s after the first client's login).
bool may_answer_unsigned(Request& request, bool is_401) {
  if (request.key.connection != 0 || request.auth.key_len != 0)
    return true;
  WorkerStats& stats = request.ctx.stats();
  if (is_401)
    WorkerStats::add(stats.unauthenticated_401_requests);
  const Config& config = request.config();
  const SourceKey source = SourceKey::of(request.client());
  const auto now_s = static_cast<std::uint32_t>(request.ctx.wall_s());
  if (config.unauthorized_ratelimit &&
      !request.shared().verified_sources.recent(source, now_s, config.stale_nonce)) {
    const SourceRateTable::Verdict v = request.shared().unauthorized_answers.consume(
        source, config.unauthorized_ratelimit_rps, now_s);
    if (!v.allowed) {
      WorkerStats::add(is_401 ? stats.unauthenticated_401_dropped
                              : stats.unauthenticated_errors_dropped);
      if (v.first_drop && log::enabled(log::Level::kWarning)) {
        static log::RateLimit limit(5);
        log::write_limited(limit, log::Level::kWarning,
                           std::string(is_401 ? "401" : "unauthorized-response") +
                               " rate-limit exceeded from " + request.client().ip_string() +
                               ", suppressing responses for this window");
      }
      return false;
    }
  }
  if (is_401)
    WorkerStats::add(stats.unauthenticated_401_responses);
  return true;
}

}  // namespace

void send_error(Request& request, stun::ErrorCode error) {
  const std::uint16_t code = stun::code_of(error);
  if (!may_answer_unsigned(request, error == stun::ErrorCode::kUnauthorized))
    return;
  WorkerStats::add(request.ctx.stats().error_responses);
  if (log::enabled(log::Level::kVerbose)) {
    log::write(log::Level::kVerbose, "error " + std::to_string(code) + " to " +
                                         request.client().to_string() + " for " +
                                         std::string(stun::method_name(request.msg.method())));
  }
  Response r(request, stun::Class::kError);
  r.builder().add(stun::attr::kErrorCode, {code, stun::reason_phrase(error)});
  r.send();
}

void send_unknown_attributes(Request& request) {
  if (!may_answer_unsigned(request, false))
    return;
  WorkerStats::add(request.ctx.stats().error_responses);
  Response r(request, stun::Class::kError);
  r.builder().add(stun::attr::kErrorCode,
                  {stun::code_of(stun::ErrorCode::kUnknownAttribute),
                   stun::reason_phrase(stun::ErrorCode::kUnknownAttribute)});
  r.builder().add(stun::attr::kUnknownAttributes, request.msg.unknown_required());
  r.send();
}

void send_challenge(Request& request, stun::ErrorCode code) {
  request.auth = AuthOutcome{};  // challenges are never signed
  if (!may_answer_unsigned(request, code == stun::ErrorCode::kUnauthorized))
    return;
  WorkerStats::add(request.ctx.stats().error_responses);
  SharedState& shared = request.shared();
  const std::string nonce = shared.nonces.issue(request.client(), request.ctx.wall_s());
  Response r(request, stun::Class::kError);
  r.builder().add(stun::attr::kErrorCode, {stun::code_of(code), stun::reason_phrase(code)});
  r.builder().add(stun::attr::kRealm, request.config().realm);
  r.builder().add(stun::attr::kNonce, nonce);
  stun::codec::PasswordAlgorithms::Value algorithms;
  algorithms.push({stun::kPasswordAlgorithmMd5, {}});
  algorithms.push({stun::kPasswordAlgorithmSha256, {}});
  r.builder().add(stun::attr::kPasswordAlgorithms, algorithms);
  r.send();
}

Allocation* owned_allocation(Request& request) {
  Allocation* a = request.ctx.allocations().find(request.key);
  if (a == nullptr) {
    send_error(request, stun::ErrorCode::kAllocationMismatch);
    return nullptr;
  }
  if (a->user != request.auth.user) {
    send_error(request, stun::ErrorCode::kWrongCredentials);
    return nullptr;
  }
  return a;
}

std::uint32_t negotiate_lifetime(const Config& config, std::optional<std::uint32_t> requested) {
  const std::uint32_t max = config.max_allocate_lifetime;
  const std::uint32_t fallback = std::min(config.default_allocate_lifetime, max);
  if (!requested)
    return fallback;
  return std::clamp(*requested, fallback, max);
}

}  // namespace turn
