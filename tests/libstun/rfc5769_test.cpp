// RFC 5769 test vectors: each is parsed, its MESSAGE-INTEGRITY and FINGERPRINT verified, its
// attributes decoded, and then rebuilt with MessageBuilder and compared byte for byte.
//
// RFC 5769 predates RFC 8489's zero padding: its vectors pad USERNAME and SOFTWARE with spaces
// (RFC 5389 §15 let padding be any value), and the padding is covered by the HMAC and the CRC.
// MessageBuilder always writes zero padding (CVE-2020-4067), so the rebuilds below write the
// vector's padding bytes into the buffer before the integrity attributes are computed; a
// separate test checks that the zero-padded rebuild is an equally valid message.
#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "rfc_vectors.hpp"
#include "stun/builder.hpp"
#include "stun/integrity.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::as_bytes;
using stun_test::hex;
using stun_test::same_bytes;
namespace vectors = stun_test::vectors;

namespace {

const Bytes kShortTermKey = short_term_key(vectors::kShortTermPassword);

/// Overwrites the last `n` bytes written so far (an attribute's padding) with spaces.
void space_pad(MutableBytes buffer, const MessageBuilder& b, std::size_t n) {
  for (std::size_t i = b.size() - n; i < b.size(); ++i)
    buffer[i] = ' ';
}

std::vector<std::uint8_t> types_of(const MessageView& m) {
  std::vector<std::uint8_t> out;
  for (const auto& a : m.attributes()) {
    out.push_back(static_cast<std::uint8_t>(a.type >> 8));
    out.push_back(static_cast<std::uint8_t>(a.type));
  }
  return out;
}

}  // namespace

TEST_CASE("RFC 5769 §2.1 sample request parses and verifies") {
  const auto wire = hex(vectors::kRfc5769Request);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK(m->size() == wire.size());
  CHECK(m->method() == Method::kBinding);
  CHECK(m->message_class() == Class::kRequest);
  CHECK_FALSE(m->is_classic());
  CHECK(m->transaction_id() ==
        TransactionId{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae});
  // SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT, in wire order.
  CHECK(types_of(*m) == hex("8022 0024 8029 0006 0008 8028"));
  CHECK(m->get(attr::kSoftware).value_or("") == "STUN test client");
  CHECK(m->get(attr::kUsername).value_or("") == "evtj:h6vY");
  // PRIORITY (RFC 8445 §16.1) is comprehension-required and not a TURN attribute, so a TURN
  // server would answer 420; ICE-CONTROLLED (0x8029) is optional and is not reported.
  REQUIRE(m->unknown_required().size() == 1);
  CHECK(m->unknown_required()[0] == 0x0024);

  CHECK(verify_integrity_sha1(*m, kShortTermKey));
  CHECK(verify_fingerprint(*m));
  CHECK_FALSE(verify_integrity_sha1(*m, short_term_key("VOkJxbRl1RmTxUk/WvJxBT")));
}

TEST_CASE("RFC 5769 §2.1 sample request is rebuilt byte for byte") {
  const auto wire = hex(vectors::kRfc5769Request);
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(
      buf, pack_type(Method::kBinding, Class::kRequest),
      TransactionId{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae});
  b.add(attr::kSoftware, "STUN test client");
  b.add_raw(0x0024, hex("6e0001ff"));           // PRIORITY
  b.add_raw(0x8029, hex("932ff9b1 51263b36"));  // ICE-CONTROLLED
  b.add(attr::kUsername, "evtj:h6vY");
  space_pad(buf, b, 3);
  b.add_integrity_sha1(kShortTermKey).add_fingerprint();
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(same_bytes(*out, wire));
}

TEST_CASE("RFC 5769 §2.2 IPv4 response parses, verifies and decodes 192.0.2.1:32853") {
  const auto wire = hex(vectors::kRfc5769Ipv4Response);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK(m->method() == Method::kBinding);
  CHECK(m->message_class() == Class::kSuccess);
  CHECK(m->get(attr::kSoftware).value_or("") == "test vector");
  auto mapped = m->get(attr::kXorMappedAddress);
  REQUIRE(mapped.ok());
  CHECK(*mapped == SocketAddress::v4({192, 0, 2, 1}, 32853));
  CHECK(m->unknown_required().empty());
  CHECK(verify_integrity_sha1(*m, kShortTermKey));
  CHECK(verify_fingerprint(*m));
}

TEST_CASE("RFC 5769 §2.3 IPv6 response parses, verifies and decodes its address") {
  const auto wire = hex(vectors::kRfc5769Ipv6Response);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK(m->message_class() == Class::kSuccess);
  CHECK(m->get(attr::kSoftware).value_or("") == "test vector");
  auto mapped = m->get(attr::kXorMappedAddress);
  REQUIRE(mapped.ok());
  const auto expected = SocketAddress::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  REQUIRE(expected.has_value());
  CHECK(*mapped == *expected);
  CHECK(verify_integrity_sha1(*m, kShortTermKey));
  CHECK(verify_fingerprint(*m));
}

TEST_CASE("RFC 5769 §2.2 and §2.3 responses are rebuilt byte for byte from the request") {
  const auto request_wire = hex(vectors::kRfc5769Request);
  auto request = MessageView::parse(request_wire);
  REQUIRE(request.ok());

  struct Case {
    std::string_view vector;
    SocketAddress mapped;
  };
  const Case cases[] = {
      {vectors::kRfc5769Ipv4Response, SocketAddress::v4({192, 0, 2, 1}, 32853)},
      {vectors::kRfc5769Ipv6Response,
       *SocketAddress::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853")},
  };
  for (const auto& c : cases) {
    CAPTURE(c.mapped.to_string());
    std::array<std::uint8_t, 256> buf{};
    auto b = MessageBuilder::response_to(buf, *request, Class::kSuccess);
    b.add(attr::kSoftware, "test vector");
    space_pad(buf, b, 1);
    b.add(attr::kXorMappedAddress, c.mapped).add_integrity_sha1(kShortTermKey).add_fingerprint();
    auto out = b.finish();
    REQUIRE(out.ok());
    CHECK(same_bytes(*out, hex(c.vector)));
  }
}

TEST_CASE("RFC 5769 §2.2 rebuilt with zero padding is an equally valid response") {
  const auto vector = hex(vectors::kRfc5769Ipv4Response);
  auto original = MessageView::parse(vector);
  REQUIRE(original.ok());
  std::array<std::uint8_t, 256> buf{};
  auto b = MessageBuilder::response_to(buf, *original, Class::kSuccess);
  b.add(attr::kSoftware, "test vector")
      .add(attr::kXorMappedAddress, *original->get(attr::kXorMappedAddress))
      .add_integrity_sha1(kShortTermKey)
      .add_fingerprint();
  auto out = b.finish();
  REQUIRE(out.ok());
  REQUIRE(out->size() == vector.size());
  // Only the padding byte and the values that cover it differ (RFC 8489 §14: padding is ignored).
  CHECK((*out)[20 + 4 + 11] == 0);
  auto m = MessageView::parse(*out);
  REQUIRE(m.ok());
  CHECK(verify_integrity_sha1(*m, kShortTermKey));
  CHECK(verify_fingerprint(*m));
  CHECK(m->get(attr::kSoftware).value_or("") == "test vector");
  CHECK(*m->get(attr::kXorMappedAddress) == *original->get(attr::kXorMappedAddress));
}

TEST_CASE("RFC 5769 §2.4 long-term request parses and verifies with the MD5 key") {
  const auto wire = hex(vectors::kRfc5769LongTermRequest);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK(m->message_class() == Class::kRequest);
  CHECK(m->get(attr::kUsername).value_or("") == vectors::kLongTermUsername);
  CHECK(m->get(attr::kNonce).value_or("") == vectors::kRfc5769Nonce);
  CHECK(m->get(attr::kRealm).value_or("") == vectors::kLongTermRealm);
  // RFC 8489 §9.2.2: without PASSWORD-ALGORITHM the key is MD5(username ":" realm ":" password).
  const auto key = long_term_key_md5(vectors::kLongTermUsername, vectors::kLongTermRealm,
                                     vectors::kLongTermPassword);
  CHECK(verify_integrity_sha1(*m, key));
  // The password before SASLprep is not the key.
  const auto raw = long_term_key_md5(vectors::kLongTermUsername, vectors::kLongTermRealm,
                                     "The\xc2\xad"
                                     "M\xc2\xaatr\xe2\x85\xa8");
  CHECK_FALSE(verify_integrity_sha1(*m, raw));
  // The vector has no FINGERPRINT.
  CHECK_FALSE(m->fingerprint_offset().has_value());
  CHECK_FALSE(verify_fingerprint(*m));
}

TEST_CASE("RFC 5769 §2.4 long-term request is rebuilt byte for byte") {
  const auto key = long_term_key_md5(vectors::kLongTermUsername, vectors::kLongTermRealm,
                                     vectors::kLongTermPassword);
  std::array<std::uint8_t, 256> buf{};
  MessageBuilder b(
      buf, pack_type(Method::kBinding, Class::kRequest),
      TransactionId{0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e});
  b.add(attr::kUsername, vectors::kLongTermUsername)
      .add(attr::kNonce, vectors::kRfc5769Nonce)
      .add(attr::kRealm, vectors::kLongTermRealm)
      .add_integrity_sha1(key);
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(same_bytes(*out, hex(vectors::kRfc5769LongTermRequest)));
}
