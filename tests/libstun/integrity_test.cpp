// Credentials and MESSAGE-INTEGRITY(-SHA256) (RFC 8489 §9, §14.5, §14.6), USERHASH (§14.4) and
// the nonce cookie (§9.2).
#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "stun/builder.hpp"
#include "stun/integrity.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::as_bytes;
using stun_test::hex;
using stun_test::RawMessage;
using stun_test::same_bytes;

namespace {

const auto kKey = as_bytes("VOkJxbRl1RmTxUk/WvJxBt");

/// A signed Allocate request: USERNAME, REALM, NONCE, LIFETIME, both MACs, FINGERPRINT.
std::vector<std::uint8_t> signed_request(Bytes key) {
  std::vector<std::uint8_t> buf(256);
  MessageBuilder b(buf, pack_type(Method::kAllocate, Class::kRequest), stun_test::kTid);
  b.add(attr::kUsername, "alice")
      .add(attr::kRealm, "example.org")
      .add(attr::kNonce, "nonce")
      .add(attr::kLifetime, 600)
      .add_integrity_sha1(key)
      .add_integrity_sha256(key)
      .add_fingerprint();
  auto out = b.finish();
  REQUIRE(out.ok());
  return {out->begin(), out->end()};
}

/// A request whose MESSAGE-INTEGRITY-SHA256 is truncated to `n` bytes, computed as §14.6 says.
std::vector<std::uint8_t> truncated_sha256(Bytes key, std::size_t n) {
  std::vector<std::uint8_t> buf(256);
  MessageBuilder b(buf, pack_type(Method::kRefresh, Class::kRequest), stun_test::kTid);
  b.add(attr::kUsername, "alice").add(attr::kLifetime, 0);
  const std::size_t covered = b.size();
  std::vector<std::uint8_t> header(buf.begin(), buf.begin() + kHeaderSize);
  store_u16(header.data() + 2, static_cast<std::uint16_t>(covered - kHeaderSize + 4 + n));
  const Bytes pieces[] = {header, Bytes{buf}.subspan(kHeaderSize, covered - kHeaderSize)};
  std::array<std::uint8_t, 32> mac{};
  hmac("SHA256", key, pieces, mac);
  b.add_raw(static_cast<std::uint16_t>(AttrType::kMessageIntegritySha256), Bytes{mac}.first(n));
  auto out = b.finish();
  REQUIRE(out.ok());
  return {out->begin(), out->end()};
}

}  // namespace

TEST_CASE("long-term key MD5(username:realm:password) (RFC 8489 §9.2.2)") {
  CHECK(same_bytes(long_term_key_md5("ninefingers", "north.gov", "youhavetoberealistic"),
                   hex("bc807ee29df3c9ffa736523fb2c4e8ee")));
  CHECK(same_bytes(long_term_key_md5("alice", "example.org", "secret"),
                   hex("543e1aec5d3614f03141652d6ada51b2")));
  CHECK_FALSE(same_bytes(long_term_key_md5("alice", "example.org", "secreT"),
                         long_term_key_md5("alice", "example.org", "secret")));
}

TEST_CASE("long-term key SHA-256(username:realm:password) (RFC 8489 §9.2.2)") {
  CHECK(same_bytes(long_term_key_sha256("alice", "example.org", "secret"),
                   hex("d1659fff7a501be15962adc35514ca6a5868905695f2dd1093741f931e000a1f")));
}

TEST_CASE("hmac matches RFC 2202 and RFC 4231, whole or in pieces") {
  const auto data = as_bytes("what do ya want for nothing?");
  std::array<std::uint8_t, 32> mac{};
  const Bytes whole[] = {data};
  CHECK(hmac("SHA1", as_bytes("Jefe"), whole, mac) == 20);
  CHECK(same_bytes(Bytes{mac}.first(20), hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")));
  CHECK(hmac("SHA256", as_bytes("Jefe"), whole, mac) == 32);
  CHECK(same_bytes(mac, hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")));

  const Bytes split[] = {data.first(3), {}, data.subspan(3, 10), data.subspan(13)};
  std::array<std::uint8_t, 32> again{};
  hmac("SHA256", as_bytes("Jefe"), split, again);
  CHECK(mac == again);

  // Keys longer than the 64-byte block are hashed first (RFC 2104 §2).
  const auto larger = as_bytes("Test Using Larger Than Block-Size Key - Hash Key First");
  const Bytes larger_pieces[] = {larger};
  const std::vector<std::uint8_t> key80(80, 0xaa);
  hmac("SHA1", key80, larger_pieces, mac);
  CHECK(same_bytes(Bytes{mac}.first(20), hex("aa4ae5e15272d00e95705637ce8a3b55ed402112")));
  const std::vector<std::uint8_t> key131(131, 0xaa);
  hmac("SHA256", key131, larger_pieces, mac);
  CHECK(same_bytes(mac, hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")));
}

TEST_CASE("verification does not modify the received bytes") {
  const auto original = signed_request(kKey);
  const std::vector<std::uint8_t> wire = original;
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK(verify_integrity_sha1(*m, kKey));
  CHECK(verify_integrity_sha256(*m, kKey));
  CHECK(verify_fingerprint(*m));
  CHECK_FALSE(verify_integrity_sha1(*m, as_bytes("wrong")));
  CHECK(wire == original);
}

TEST_CASE("a wrong key fails") {
  const auto wire = signed_request(kKey);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK_FALSE(verify_integrity_sha1(*m, as_bytes("VOkJxbRl1RmTxUk/WvJxB")));
  CHECK_FALSE(verify_integrity_sha256(*m, as_bytes("VOkJxbRl1RmTxUk/WvJxBu")));
  CHECK_FALSE(verify_integrity_sha1(*m, {}));
  CHECK_FALSE(verify_integrity_sha256(*m, {}));
}

TEST_CASE("tampering with any covered byte fails verification") {
  const auto original = signed_request(kKey);
  auto m0 = MessageView::parse(original);
  REQUIRE(m0.ok());
  const std::size_t mi = *m0->integrity_offset();
  const std::size_t mi256 = *m0->integrity_sha256_offset();
  for (std::size_t i = 0; i < mi256 + 4 + 32; ++i) {
    CAPTURE(i);
    auto wire = original;
    wire[i] ^= 0x01;
    auto m = MessageView::parse(wire);
    if (!m.ok())
      continue;  // the flip broke the framing: rejected before verification
    // The SHA-1 MAC covers bytes before it and its own value; the SHA-256 MAC covers MI too.
    // The length field (bytes 2-3) is replaced by the verifier, so a changed length is caught by
    // the framing or by a MAC computed over different bytes.
    if (i < mi + 24)
      CHECK_FALSE(verify_integrity_sha1(*m, kKey));
    CHECK_FALSE(verify_integrity_sha256(*m, kKey));
  }
}

TEST_CASE("MESSAGE-INTEGRITY-SHA256 may be truncated to 16..32 bytes in steps of 4 (§14.6)") {
  for (std::size_t n : {16, 20, 24, 28, 32}) {
    CAPTURE(n);
    const auto wire = truncated_sha256(kKey, n);
    auto m = MessageView::parse(wire);
    REQUIRE(m.ok());
    CHECK(verify_integrity_sha256(*m, kKey));
    CHECK_FALSE(verify_integrity_sha256(*m, as_bytes("other")));
  }
  for (std::size_t n : {0, 4, 12, 18, 31}) {
    CAPTURE(n);
    const auto wire = truncated_sha256(kKey, n);
    auto m = MessageView::parse(wire);
    REQUIRE(m.ok());
    CHECK_FALSE(verify_integrity_sha256(*m, kKey));
  }
}

TEST_CASE("MESSAGE-INTEGRITY of the wrong length never verifies") {
  for (std::size_t n : {0, 16, 19, 21, 32}) {
    CAPTURE(n);
    RawMessage raw;
    raw.attr(static_cast<std::uint16_t>(AttrType::kMessageIntegrity), std::vector<std::uint8_t>(n));
    auto m = MessageView::parse(raw.view());
    REQUIRE(m.ok());
    CHECK_FALSE(verify_integrity_sha1(*m, kKey));
  }
}

TEST_CASE("absent integrity attributes never verify") {
  const RawMessage empty;
  auto m = MessageView::parse(empty.view());
  REQUIRE(m.ok());
  CHECK_FALSE(verify_integrity_sha1(*m, kKey));
  CHECK_FALSE(verify_integrity_sha256(*m, kKey));
  CHECK_FALSE(verify_fingerprint(*m));
}

TEST_CASE("USERHASH is SHA-256(username:realm) (§14.4)") {
  CHECK(same_bytes(userhash("alice", "example.org"),
                   hex("435b7933096a304d3c734cfb833ec9075bd47ab1c0160321aed31c06a8c7009e")));
  CHECK(userhash("alice", "example.org") != userhash("alice", "example.com"));
}

TEST_CASE("nonce cookie: \"obMatJos2\" + 4 base64 characters of 24 feature bits (§9.2)") {
  const auto both = nonce_cookie(kFeaturePasswordAlgorithms | kFeatureUsernameAnonymity);
  // Bits 0 and 1, the most significant of the 24, are 0xC00000: base64 "wAAA".
  CHECK(std::string_view(both.data(), both.size()) == "obMatJos2wAAA");
  const auto none = nonce_cookie(0);
  CHECK(std::string_view(none.data(), none.size()) == "obMatJos2AAAA");
  // The alphabet's last two characters, 62 and 63 (RFC 4648 §4, not base64url's '-' and '_').
  const auto high = nonce_cookie(0xFBEFFFu);
  CHECK(std::string_view(high.data(), high.size()) == "obMatJos2++//");

  for (std::uint32_t features :
       {0x000000u, 0xFFFFFFu, 0x800000u, 0x400000u, 0x000001u, 0x123456u, 0xABCDEFu}) {
    CAPTURE(features);
    const auto cookie = nonce_cookie(features);
    std::string nonce(cookie.begin(), cookie.end());
    CHECK(nonce_cookie_features(nonce) == features);
    nonce += "f//499k954d6OL34oL9FSTvy64sA";  // the server's own nonce text follows
    CHECK(nonce_cookie_features(nonce) == features);
  }
  for (int bit = 0; bit < 24; ++bit) {
    const auto cookie = nonce_cookie(1u << bit);
    CHECK(nonce_cookie_features(std::string_view(cookie.data(), cookie.size())) == (1u << bit));
  }
}

TEST_CASE("nonce cookie: anything else has no feature bits") {
  CHECK_FALSE(nonce_cookie_features("").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2AAA").has_value());   // too short
  CHECK_FALSE(nonce_cookie_features("obMatJos3AAAA").has_value());  // wrong cookie
  CHECK_FALSE(nonce_cookie_features("f//499k954d6OL34oL9").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2AA*A").has_value());  // not base64
  CHECK_FALSE(nonce_cookie_features("obMatJos2AA=A").has_value());
  // Padding: 24 bits fill the group, so '=' is never part of it.
  CHECK_FALSE(nonce_cookie_features("obMatJos2AA==").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2AAA=").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2====").has_value());
  // Whitespace anywhere in the group, base64url's characters, a byte above 0x7F.
  CHECK_FALSE(nonce_cookie_features("obMatJos2 AAA").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2AAA ").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2AA A").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2AAA\n").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2AA-_").has_value());
  CHECK_FALSE(nonce_cookie_features("obMatJos2AA\xC3\x41").has_value());  // \x41: 'A'
  CHECK_FALSE(nonce_cookie_features(std::string_view("obMatJos2AA\0A", 13)).has_value());
}
