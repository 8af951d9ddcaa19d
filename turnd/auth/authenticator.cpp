#include "auth/authenticator.hpp"

#include <cstring>

#include "stun/attributes.hpp"
#include "stun/integrity.hpp"

namespace turn {
namespace {

using Kind = AuthOutcome::Kind;

AuthOutcome fail(Kind kind, const char* reason, std::string user = {}) {
  AuthOutcome o;
  o.kind = kind;
  o.reason = reason;
  o.user = std::move(user);
  return o;
}

/// RFC 8489 §9.2.4: PASSWORD-ALGORITHMS must echo exactly what the server offered, and
/// PASSWORD-ALGORITHM must be one of them. Returns the chosen algorithm, or 0 on a mismatch.
std::uint16_t chosen_algorithm(const stun::MessageView& req) {
  const bool has_list = req.has(stun::AttrType::kPasswordAlgorithms);
  const bool has_choice = req.has(stun::AttrType::kPasswordAlgorithm);
  if (!has_list && !has_choice)
    return stun::kPasswordAlgorithmMd5;
  if (has_list != has_choice)
    return 0;
  auto list = req.get(stun::attr::kPasswordAlgorithms);
  auto choice = req.get(stun::attr::kPasswordAlgorithm);
  if (!list || !choice || list->size() != 2 ||
      (*list)[0].algorithm != stun::kPasswordAlgorithmMd5 ||
      (*list)[1].algorithm != stun::kPasswordAlgorithmSha256) {
    return 0;
  }
  const auto alg = choice->algorithm;
  return alg == stun::kPasswordAlgorithmMd5 || alg == stun::kPasswordAlgorithmSha256 ? alg : 0;
}

}  // namespace

Authenticator::Authenticator(std::string realm, const NonceIssuer& nonces,
                             std::shared_ptr<const UserDb> users)
    : realm_(std::move(realm)), nonces_(nonces), users_(std::move(users)) {}

AuthOutcome Authenticator::check(const stun::MessageView& req, const stun::SocketAddress& client,
                                 std::uint64_t now_s) const {
  const bool has_mi = req.integrity_offset().has_value();
  const bool has_mi256 = req.integrity_sha256_offset().has_value();
  if (!has_mi && !has_mi256)
    return fail(Kind::kChallenge, "no credentials");

  auto username = req.get(stun::attr::kUsername);
  auto hash = req.get(stun::attr::kUserhash);
  auto realm = req.get(stun::attr::kRealm);
  auto nonce = req.get(stun::attr::kNonce);
  if ((!username && !hash) || !realm || !nonce) {
    return fail(Kind::kBadRequest, "missing USERNAME/USERHASH, REALM or NONCE");
  }
  // RFC 8489 §9.2.4: an invalid or expired nonce is answered 438 with a fresh one.
  if (nonces_.check(*nonce, client, now_s) != NonceIssuer::Check::kValid) {
    return fail(Kind::kStale, "stale nonce");
  }
  // From here on every outcome is about a source that received our nonce at its address.
  AuthOutcome verified = check_credentials(
      req, *realm, username ? std::optional<std::string_view>(*username) : std::nullopt,
      hash ? std::optional<stun::Bytes>(*hash) : std::nullopt, now_s);
  verified.source_verified = true;
  return verified;
}

AuthOutcome Authenticator::check_credentials(const stun::MessageView& req, std::string_view realm,
                                             std::optional<std::string_view> username,
                                             std::optional<stun::Bytes> hash,
                                             std::uint64_t now_s) const {
  const bool has_mi256 = req.integrity_sha256_offset().has_value();
  const std::shared_ptr<const UserDb> db = users_.load();
  std::string user;
  if (username) {
    user = std::string(*username);
  } else {
    stun::Userhash h;
    std::memcpy(h.data(), hash->data(), h.size());
    auto found = db->find_by_userhash(h, realm);
    if (!found)
      return fail(Kind::kUnauthorized, "unknown userhash");
    user = *found;
  }
  const std::uint16_t algorithm = chosen_algorithm(req);
  if (algorithm == 0)
    return fail(Kind::kBadRequest, "PASSWORD-ALGORITHMS mismatch", user);
  if (realm != realm_)
    return fail(Kind::kUnauthorized, "wrong realm", user);
  // Several keys when TURN REST secrets rotate (and a stored user of the same name): the
  // request is good when its integrity checks with any of them.
  const auto candidates = db->candidates(user, realm, static_cast<std::int64_t>(now_s));
  if (candidates.empty())
    return fail(Kind::kUnauthorized, "unknown user", user);

  AuthOutcome ok;
  ok.user = std::move(user);
  // RFC 8489 §9.2.4: with both present, MESSAGE-INTEGRITY-SHA256 is the one checked.
  ok.sha256 = has_mi256;
  bool any_key = false;
  bool valid = false;
  for (const auto& keys : candidates) {
    if (algorithm == stun::kPasswordAlgorithmSha256) {
      if (!keys.sha256)
        continue;
      std::memcpy(ok.key.data(), keys.sha256->data(), 32);
      ok.key_len = 32;
    } else {
      std::memcpy(ok.key.data(), keys.md5.data(), 16);
      ok.key_len = 16;
    }
    any_key = true;
    valid = has_mi256 ? stun::verify_integrity_sha256(req, ok.key_bytes())
                      : stun::verify_integrity_sha1(req, ok.key_bytes());
    if (valid)
      break;
  }
  if (!any_key)
    return fail(Kind::kUnauthorized, "no SHA-256 key for user", ok.user);
  if (!valid)
    return fail(Kind::kUnauthorized, "wrong credentials", ok.user);
  ok.kind = Kind::kOk;
  return ok;
}

}  // namespace turn
