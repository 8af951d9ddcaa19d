// LongTermCredentials: what a client learns from a challenge and how it signs (RFC 8489 §9.2).
#include "stun/long_term_credentials.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "stun/integrity.hpp"

namespace {

stun::TransactionId tid() {
  stun::TransactionId t{};
  t[11] = 7;
  return t;
}

}  // namespace

TEST_CASE("long-term credentials: learn REALM and NONCE from a 401") {
  std::array<std::uint8_t, 256> buf{};
  stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kAllocate, stun::Class::kError), tid());
  b.add(stun::attr::kErrorCode, {401, "Unauthorized"});
  b.add(stun::attr::kRealm, "example.org");
  b.add(stun::attr::kNonce, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
  auto bytes = b.finish();
  REQUIRE(bytes);
  auto v = stun::MessageView::parse(*bytes);
  REQUIRE(v);
  stun::LongTermCredentials c{"alice", "pass", "", ""};
  CHECK(!c.ready());
  CHECK(c.learn(*v));
  CHECK(c.ready());
  CHECK(c.realm == "example.org");
  CHECK(c.nonce == "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
}

TEST_CASE("long-term credentials: a signed request verifies with the long-term key") {
  const stun::LongTermCredentials c{"alice", "pass", "example.org", "n0nce"};
  for (auto algorithm : {stun::LongTermCredentials::Algorithm::kMd5,
                         stun::LongTermCredentials::Algorithm::kSha256}) {
    for (bool userhash : {false, true}) {
      CAPTURE(userhash);
      std::array<std::uint8_t, 512> buf{};
      stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kAllocate, stun::Class::kRequest),
                             tid());
      b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
      c.sign(b, algorithm, userhash);
      auto bytes = b.finish();
      REQUIRE(bytes);
      auto v = stun::MessageView::parse(*bytes);
      REQUIRE(v);
      CHECK(v->get(stun::attr::kRealm).value_or("") == "example.org");
      CHECK(v->get(stun::attr::kNonce).value_or("") == "n0nce");
      CHECK(v->has(stun::AttrType::kUserhash) == userhash);
      CHECK(v->has(stun::AttrType::kUsername) == !userhash);
      if (algorithm == stun::LongTermCredentials::Algorithm::kSha256) {
        const auto key = stun::long_term_key_sha256("alice", "example.org", "pass");
        CHECK(stun::verify_integrity_sha256(*v, key));
        CHECK(v->get(stun::attr::kPasswordAlgorithm)->algorithm == stun::kPasswordAlgorithmSha256);
      } else {
        const auto key = stun::long_term_key_md5("alice", "example.org", "pass");
        CHECK(stun::verify_integrity_sha1(*v, key));
        const auto wrong = stun::long_term_key_md5("alice", "example.org", "other");
        CHECK(!stun::verify_integrity_sha1(*v, wrong));
      }
    }
  }
}
