#include "turn_session.hpp"

#include <random>

#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/long_term_credentials.hpp"

namespace load {

namespace {

stun::TransactionId random_tid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  stun::TransactionId tid;
  for (std::size_t i = 0; i < tid.size(); i += 8) {
    const std::uint64_t r = rng();
    for (std::size_t j = 0; j < 8 && i + j < tid.size(); ++j)
      tid[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
  return tid;
}

}  // namespace

TurnSession::TurnSession(const Credentials* credentials, Goal goal, const stun::SocketAddress& peer,
                         std::uint16_t channel, bool reliable)
    : credentials_(credentials), goal_(goal), peer_(peer), channel_(channel), reliable_(reliable) {}

TurnSession::Status TurnSession::start(std::uint64_t now) {
  authenticated_ = true;
  realm_.clear();
  nonce_.clear();
  error_.clear();
  error_code_ = 0;
  relay_ = {};
  lifetime_s_ = 0;
  return begin(Step::kProbe, now);
}

TurnSession::Status TurnSession::keepalive(std::uint64_t now) {
  return begin(Step::kKeepRefresh, now);
}

TurnSession::Status TurnSession::release(std::uint64_t now) {
  return begin(Step::kRelease, now);
}

TurnSession::Status TurnSession::begin(Step step, std::uint64_t now) {
  step_ = step;
  auth_retries_ = 0;
  retransmits_ = 0;
  // Over TCP nothing is retransmitted, but the wait is as long as all UDP retransmissions.
  deadline_ = now + (reliable_ ? kRtoNs * (kMaxRetransmits + 1) : kRtoNs);
  build();
  return error_.empty() ? Status::kSend : Status::kFailed;
}

stun::Method TurnSession::method_of_step() const {
  switch (step_) {
    case Step::kProbe:
    case Step::kAllocate:
      return stun::Method::kAllocate;
    case Step::kKeepRefresh:
    case Step::kRelease:
      return stun::Method::kRefresh;
    case Step::kBind:
    case Step::kKeepBind:
      if (goal_ == Goal::kAllocCycle)
        return stun::Method::kRefresh;
      return goal_ == Goal::kChannel ? stun::Method::kChannelBind : stun::Method::kCreatePermission;
    case Step::kIdle:
      break;
  }
  return stun::Method::kBinding;
}

void TurnSession::build() {
  tid_ = random_tid();
  request_.resize(1024);
  const stun::Method method = method_of_step();
  stun::MessageBuilder b(request_, stun::pack_type(method, stun::Class::kRequest), tid_);
  switch (method) {
    case stun::Method::kAllocate:
      b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
      break;
    case stun::Method::kChannelBind:
      b.add(stun::attr::kChannelNumber, channel_);
      b.add(stun::attr::kXorPeerAddress, peer_);
      break;
    case stun::Method::kCreatePermission:
      b.add(stun::attr::kXorPeerAddress, peer_);
      break;
    case stun::Method::kRefresh:
      // The allocation-rate cycle and the release delete the allocation; a keepalive takes the
      // default lifetime.
      if (step_ == Step::kBind || step_ == Step::kRelease)
        b.add(stun::attr::kLifetime, 0u);
      break;
    default:
      break;
  }
  if (step_ != Step::kProbe && authenticated_) {
    const stun::LongTermCredentials signer{credentials_->user, credentials_->password, realm_,
                                           nonce_};
    signer.sign(b);
  }
  auto out = b.finish();
  if (!out) {
    error_ = "cannot encode request: " + std::string(stun::to_string(out.error()));
    request_.clear();
    return;
  }
  request_.resize(out->size());
}

TurnSession::Status TurnSession::fail(std::string why) {
  error_ = std::string(stun::method_name(method_of_step())) + ": " + std::move(why);
  step_ = Step::kIdle;
  return Status::kFailed;
}

TurnSession::Status TurnSession::on_message(const stun::MessageView& m, std::uint64_t now) {
  if (step_ == Step::kIdle || m.transaction_id() != tid_)
    return Status::kWaiting;
  if (m.message_class() == stun::Class::kSuccess)
    return on_success(m, now);
  if (m.message_class() == stun::Class::kError)
    return on_error(m, now);
  return Status::kWaiting;
}

TurnSession::Status TurnSession::on_success(const stun::MessageView& m, std::uint64_t now) {
  switch (step_) {
    case Step::kProbe:
      // A server without authentication allocates right away; carry on without credentials.
      authenticated_ = false;
      [[fallthrough]];
    case Step::kAllocate: {
      auto relayed = m.get(stun::attr::kXorRelayedAddress);
      if (!relayed)
        return fail("success without XOR-RELAYED-ADDRESS");
      relay_ = *relayed;
      lifetime_s_ = m.get(stun::attr::kLifetime).value_or(600);
      return begin(Step::kBind, now);
    }
    case Step::kKeepRefresh:
      if (auto lifetime = m.get(stun::attr::kLifetime))
        lifetime_s_ = *lifetime;
      if (goal_ == Goal::kAllocCycle)
        break;
      return begin(Step::kKeepBind, now);
    case Step::kBind:
    case Step::kKeepBind:
    case Step::kRelease:
    case Step::kIdle:
      break;
  }
  step_ = Step::kIdle;
  return Status::kReady;
}

TurnSession::Status TurnSession::on_error(const stun::MessageView& m, std::uint64_t now) {
  auto code = m.get(stun::attr::kErrorCode);
  if (!code)
    return fail("error response without ERROR-CODE");
  // Printable characters only: coturn's reason phrases end in a NUL byte.
  std::string reason = std::to_string(code->code) + " ";
  for (char ch : code->reason) {
    if (ch >= 0x20 && ch < 0x7F)
      reason += ch;
  }
  error_code_ = code->code;
  auto nonce = m.get(stun::attr::kNonce);
  auto realm = m.get(stun::attr::kRealm);
  if (code->code == 401 && step_ == Step::kProbe) {
    if (!nonce || !realm)
      return fail("401 without REALM and NONCE");
    realm_ = std::string(*realm);
    nonce_ = std::string(*nonce);
    return begin(Step::kAllocate, now);
  }
  // 438: the nonce went stale, take the new one and ask again. A 401 to a signed request may mean
  // the same on servers that do not send 438, so it earns one retry; a second means the
  // credentials are wrong.
  const int limit = code->code == 438 ? 3 : code->code == 401 ? 1 : 0;
  if (auth_retries_ < limit && nonce && authenticated_) {
    ++auth_retries_;
    nonce_ = std::string(*nonce);
    if (realm)
      realm_ = std::string(*realm);
    retransmits_ = 0;
    deadline_ = now + (reliable_ ? kRtoNs * (kMaxRetransmits + 1) : kRtoNs);
    build();
    return error_.empty() ? Status::kSend : Status::kFailed;
  }
  return fail(reason);
}

TurnSession::Status TurnSession::on_timer(std::uint64_t now) {
  if (step_ == Step::kIdle || now < deadline_)
    return Status::kWaiting;
  if (!reliable_ && retransmits_ < kMaxRetransmits) {
    // RFC 8489 §6.2.1: a retransmission repeats the request unchanged, transaction id included.
    ++retransmits_;
    deadline_ = now + kRtoNs;
    return Status::kSend;
  }
  return fail("no response (timed out)");
}

}  // namespace load
