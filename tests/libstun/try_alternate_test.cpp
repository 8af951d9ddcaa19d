// A whole 300 Try Alternate as turnd sends it (RFC 8489 §10, §14.8, §14.15, §14.16): ERROR-CODE,
// ALTERNATE-SERVER of either family, ALTERNATE-DOMAIN, then MESSAGE-INTEGRITY and FINGERPRINT,
// parsed back and verified as a client must before it redirects.
#include <doctest/doctest.h>

#include <vector>

#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/error_codes.hpp"
#include "stun/integrity.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;

TEST_CASE("300 Try Alternate: ALTERNATE-SERVER and ALTERNATE-DOMAIN round trip, signed") {
  const auto key = long_term_key_md5("alice", "example.org", "alice-pass");
  for (const char* text : {"192.0.2.10:3478", "[2001:db8::10]:5349"}) {
    CAPTURE(text);
    const auto alternate = SocketAddress::parse(text);
    REQUIRE(alternate);
    std::vector<std::uint8_t> buf(256);
    MessageBuilder b(buf, pack_type(Method::kAllocate, Class::kError), stun_test::kTid);
    b.add(attr::kErrorCode,
          {code_of(ErrorCode::kTryAlternate), reason_phrase(ErrorCode::kTryAlternate)});
    b.add(attr::kAlternateServer, *alternate);
    b.add(attr::kAlternateDomain, "turn.example.org");
    b.add_integrity_sha1(key);
    b.add_fingerprint();
    auto bytes = b.finish();
    REQUIRE(bytes);
    auto v = MessageView::parse(*bytes);
    REQUIRE(v);
    CHECK(v->message_class() == Class::kError);
    CHECK(v->get(attr::kErrorCode)->code == 300);
    CHECK(*v->get(attr::kAlternateServer) == *alternate);
    CHECK(*v->get(attr::kAlternateDomain) == "turn.example.org");
    CHECK(verify_integrity_sha1(*v, key));
    CHECK(verify_fingerprint(*v));
    // Another key (an on-path forger's): a client must not follow this 300.
    CHECK_FALSE(verify_integrity_sha1(*v, long_term_key_md5("alice", "example.org", "x")));
  }
}
