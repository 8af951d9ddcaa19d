#include "stun/long_term_credentials.hpp"

#include "stun/integrity.hpp"

namespace stun {

bool LongTermCredentials::learn(const MessageView& challenge) {
  if (auto r = challenge.get(attr::kRealm))
    realm = std::string(*r);
  auto n = challenge.get(attr::kNonce);
  if (!n)
    return false;
  nonce = std::string(*n);
  return true;
}

void LongTermCredentials::sign(MessageBuilder& b, Algorithm algorithm, bool userhash) const {
  if (userhash) {
    const Userhash h = stun::userhash(user, realm);
    b.add(attr::kUserhash, Bytes(h));
  } else {
    b.add(attr::kUsername, user);
  }
  b.add(attr::kRealm, realm);
  b.add(attr::kNonce, nonce);
  if (algorithm == Algorithm::kSha256) {
    // RFC 8489 §9.2.4: echo the server's list, then pick one of its algorithms.
    codec::PasswordAlgorithms::Value list;
    list.push({kPasswordAlgorithmMd5, {}});
    list.push({kPasswordAlgorithmSha256, {}});
    b.add(attr::kPasswordAlgorithms, list);
    b.add(attr::kPasswordAlgorithm, {kPasswordAlgorithmSha256, {}});
    const Sha256Key key = long_term_key_sha256(user, realm, password);
    b.add_integrity_sha256(key);
  } else {
    const Md5Key key = long_term_key_md5(user, realm, password);
    b.add_integrity_sha1(key);
  }
}

}  // namespace stun
