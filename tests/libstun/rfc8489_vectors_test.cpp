// RFC 8489 Appendix B.1: a request with USERHASH and MESSAGE-INTEGRITY-SHA256.
//
// The published vector does not verify with the SHA-256 long-term key its title suggests. It
// carries no PASSWORD-ALGORITHM attribute, and its MESSAGE-INTEGRITY-SHA256 is an HMAC-SHA256
// keyed with the MD5 long-term key, MD5(username ":" realm ":" password): the key RFC 8489
// §9.2.2 prescribes when PASSWORD-ALGORITHM is absent (checked below, and independently with
// Python's hashlib). So the published bytes are tested against the MD5 key, and a corrected
// vector that adds PASSWORD-ALGORITHMS and PASSWORD-ALGORITHM SHA-256 (computed independently
// of libstun, see rfc_vectors.hpp) is tested against long_term_key_sha256.
#include <doctest/doctest.h>

#include <array>

#include "rfc_vectors.hpp"
#include "stun/builder.hpp"
#include "stun/integrity.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::hex;
using stun_test::same_bytes;
namespace vectors = stun_test::vectors;

namespace {

const TransactionId kB1Tid = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
                              0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};

Md5Key md5_key() {
  return long_term_key_md5(vectors::kLongTermUsername, vectors::kLongTermRealm,
                           vectors::kLongTermPassword);
}

Sha256Key sha256_key() {
  return long_term_key_sha256(vectors::kLongTermUsername, vectors::kLongTermRealm,
                              vectors::kLongTermPassword);
}

}  // namespace

TEST_CASE("RFC 8489 B.1 parses; USERHASH is SHA-256(username:realm)") {
  const auto wire = hex(vectors::kRfc8489Request);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK(m->method() == Method::kBinding);
  CHECK(m->message_class() == Class::kRequest);
  CHECK(m->transaction_id() == kB1Tid);
  CHECK_FALSE(m->has(AttrType::kUsername));

  auto hash = m->get(attr::kUserhash);
  REQUIRE(hash.ok());
  const Userhash expected = userhash(vectors::kLongTermUsername, vectors::kLongTermRealm);
  CHECK(same_bytes(*hash, expected));
  CHECK_FALSE(same_bytes(*hash, userhash(vectors::kLongTermUsername, "example.com")));

  CHECK(m->get(attr::kRealm).value_or("") == vectors::kLongTermRealm);
  auto nonce = m->get(attr::kNonce);
  REQUIRE(nonce.ok());
  CHECK(*nonce == vectors::kRfc8489Nonce);
  // §9.2: the nonce starts with the "obMatJos2" cookie; "AAAC" is base64 for 0x000002, which
  // sets neither feature bit defined in §18.1.
  auto features = nonce_cookie_features(*nonce);
  REQUIRE(features.has_value());
  CHECK(*features == 0x000002);
  CHECK((*features & kFeaturePasswordAlgorithms) == 0);
  CHECK((*features & kFeatureUsernameAnonymity) == 0);
}

TEST_CASE("RFC 8489 B.1 as published: MESSAGE-INTEGRITY-SHA256 is keyed with the MD5 key") {
  const auto wire = hex(vectors::kRfc8489Request);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK_FALSE(m->has(AttrType::kPasswordAlgorithm));
  REQUIRE(m->integrity_sha256_offset().has_value());
  CHECK(verify_integrity_sha256(*m, md5_key()));
  CHECK_FALSE(verify_integrity_sha256(*m, sha256_key()));
  CHECK_FALSE(verify_integrity_sha1(*m, md5_key()));  // there is no MESSAGE-INTEGRITY
}

TEST_CASE("RFC 8489 B.1 corrected: PASSWORD-ALGORITHM SHA-256 and the SHA-256 key") {
  const auto wire = hex(vectors::kRfc8489RequestSha256Key);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  auto algorithm = m->get(attr::kPasswordAlgorithm);
  REQUIRE(algorithm.ok());
  CHECK(algorithm->algorithm == kPasswordAlgorithmSha256);
  CHECK(algorithm->parameters.empty());
  auto algorithms = m->get(attr::kPasswordAlgorithms);
  REQUIRE(algorithms.ok());
  REQUIRE(algorithms->size() == 2);
  CHECK((*algorithms)[0].algorithm == kPasswordAlgorithmSha256);
  CHECK((*algorithms)[1].algorithm == kPasswordAlgorithmMd5);

  CHECK(verify_integrity_sha256(*m, sha256_key()));
  CHECK_FALSE(verify_integrity_sha256(*m, md5_key()));
}

TEST_CASE("RFC 8489 B.1 corrected vector is rebuilt byte for byte") {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, pack_type(Method::kBinding, Class::kRequest), kB1Tid);
  codec::PasswordAlgorithms::Value algorithms;
  algorithms.push({kPasswordAlgorithmSha256, {}});
  algorithms.push({kPasswordAlgorithmMd5, {}});
  const Userhash hash = userhash(vectors::kLongTermUsername, vectors::kLongTermRealm);
  const Sha256Key key = sha256_key();
  b.add(attr::kUserhash, hash)
      .add(attr::kNonce, vectors::kRfc8489Nonce)
      .add(attr::kRealm, vectors::kLongTermRealm)
      .add(attr::kPasswordAlgorithms, algorithms)
      .add(attr::kPasswordAlgorithm, {kPasswordAlgorithmSha256, {}})
      .add_integrity_sha256(key);
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(same_bytes(*out, hex(vectors::kRfc8489RequestSha256Key)));
}

TEST_CASE("RFC 8489 B.1 published vector is rebuilt byte for byte with the MD5 key") {
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(buf, pack_type(Method::kBinding, Class::kRequest), kB1Tid);
  const Userhash hash = userhash(vectors::kLongTermUsername, vectors::kLongTermRealm);
  const Md5Key key = md5_key();
  b.add(attr::kUserhash, hash)
      .add(attr::kNonce, vectors::kRfc8489Nonce)
      .add(attr::kRealm, vectors::kLongTermRealm)
      .add_integrity_sha256(key);
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(same_bytes(*out, hex(vectors::kRfc8489Request)));
}
