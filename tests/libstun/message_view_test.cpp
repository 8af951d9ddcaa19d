// MessageView::parse: header checks (RFC 8489 §5-§6), attribute framing (§14), what is and is
// not indexed (§14.5-§14.7), unknown comprehension-required attributes (§14) and classic RFC 3489
// messages.
#include <doctest/doctest.h>

#include <vector>

#include "stun/builder.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::hex;
using stun_test::RawMessage;

namespace {

constexpr auto code(AttrType t) {
  return static_cast<std::uint16_t>(t);
}

const auto kU32 = hex("00000001");
const auto kMac20 = hex("0000000000000000000000000000000000000000");
const auto kMac32 = hex("0000000000000000000000000000000000000000000000000000000000000000");

}  // namespace

TEST_CASE("parse: short header") {
  const auto wire = RawMessage().bytes();
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    CAPTURE(n);
    CHECK(MessageView::parse(Bytes{wire}.first(n)).error() == ParseError::kShortHeader);
  }
  CHECK(MessageView::parse(wire).ok());
}

TEST_CASE("parse: the two top bits must be zero (RFC 8489 §6)") {
  for (std::uint8_t top : {0x40, 0x80, 0xC0}) {
    auto wire = RawMessage().bytes();
    wire[0] |= top;
    CHECK(MessageView::parse(wire).error() == ParseError::kNotStun);
    CHECK_FALSE(looks_like_stun(wire));
  }
  CHECK(looks_like_stun(RawMessage().view()));
  CHECK_FALSE(looks_like_stun(RawMessage().view().first(19)));
}

TEST_CASE("parse: length not a multiple of 4") {
  for (std::uint16_t length : {1, 2, 3, 5, 6, 7}) {
    RawMessage raw;
    raw.append(hex("0000000000000000")).length_field(length);
    CHECK(MessageView::parse(raw.view()).error() == ParseError::kLengthNotMultipleOf4);
  }
}

TEST_CASE("parse: length beyond the datagram") {
  RawMessage raw;
  raw.attr(code(AttrType::kLifetime), kU32);
  const auto wire = raw.bytes();
  CHECK(MessageView::parse(Bytes{wire}.first(wire.size() - 4)).error() ==
        ParseError::kLengthBeyondDatagram);
  raw.length_field(0xFFFC);
  CHECK(MessageView::parse(raw.view()).error() == ParseError::kLengthBeyondDatagram);
}

TEST_CASE("parse: bytes after the message are not part of it") {
  RawMessage raw;
  raw.attr(code(AttrType::kLifetime), kU32);
  auto wire = raw.bytes();
  const std::size_t size = wire.size();
  wire.insert(wire.end(), {0x00, 0x06, 0x00, 0x01, 'x', 0, 0, 0, 0xFF});
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK(m->size() == size);
  CHECK(m->bytes().size() == size);
  CHECK(m->attributes().size() == 1);
  CHECK_FALSE(m->has(AttrType::kUsername));
}

TEST_CASE("parse: attribute overrun") {
  // The message length is a multiple of 4 and so is every padded attribute, so an attribute
  // header can never be cut short; what can overrun is the value (and with it its padding).
  SUBCASE("value longer than the rest of the message") {
    RawMessage raw;
    raw.attr_with_length(code(AttrType::kUsername), 5, hex("61626364"));
    CHECK(MessageView::parse(raw.view()).error() == ParseError::kAttributeOverrun);
  }
  SUBCASE("a header with no room for any value") {
    RawMessage raw;
    raw.attr_with_length(code(AttrType::kLifetime), 1, {});
    CHECK(MessageView::parse(raw.view()).error() == ParseError::kAttributeOverrun);
  }
  SUBCASE("the last of several attributes overruns") {
    RawMessage raw;
    raw.attr(code(AttrType::kLifetime), kU32);
    raw.attr_with_length(code(AttrType::kData), 0xFFFF, hex("01020304 05060708"));
    CHECK(MessageView::parse(raw.view()).error() == ParseError::kAttributeOverrun);
  }
  SUBCASE("an overrun after FINGERPRINT is still an overrun") {
    RawMessage raw;
    raw.attr(code(AttrType::kFingerprint), kU32);
    raw.attr_with_length(0x8888, 8, hex("01020304"));
    CHECK(MessageView::parse(raw.view()).error() == ParseError::kAttributeOverrun);
  }
  SUBCASE("a value ending exactly at the end is fine") {
    RawMessage raw;
    raw.attr_with_length(code(AttrType::kUsername), 3, hex("616263"));
    auto m = MessageView::parse(raw.view());
    REQUIRE(m.ok());
    CHECK(m->get(attr::kUsername).value_or("") == "abc");
  }
}

TEST_CASE("parse: too many attributes") {
  RawMessage raw;
  for (std::size_t i = 0; i < MessageView::kMaxAttributes; ++i)
    raw.attr(0x8888, {});
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  CHECK(m->attributes().size() == MessageView::kMaxAttributes);
  raw.attr(0x8888, {});
  CHECK(MessageView::parse(raw.view()).error() == ParseError::kTooManyAttributes);
}

TEST_CASE("attributes after FINGERPRINT do not count towards the limit") {
  RawMessage raw;
  raw.attr(code(AttrType::kFingerprint), kU32);
  for (std::size_t i = 0; i < 2 * MessageView::kMaxAttributes; ++i)
    raw.attr(0x8888, {});
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  CHECK(m->attributes().size() == 1);
}

TEST_CASE("attributes are indexed in wire order with their offsets and lengths") {
  RawMessage raw;
  raw.attr(code(AttrType::kUsername), hex("616263"));
  raw.attr(code(AttrType::kLifetime), kU32);
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  REQUIRE(m->attributes().size() == 2);
  const auto a = m->attributes()[0];
  const auto b = m->attributes()[1];
  CHECK(a.type == code(AttrType::kUsername));
  CHECK(a.length == 3);
  CHECK(a.offset == kHeaderSize + 4);
  CHECK(b.type == code(AttrType::kLifetime));
  CHECK(b.offset == kHeaderSize + 8 + 4);
  CHECK(stun_test::as_text(m->value_of(a)) == "abc");
  CHECK(m->get(attr::kLifetime).value_or(0) == 1);
}

TEST_CASE("get: the first of duplicate attributes wins; decode reaches the others") {
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, pack_type(Method::kCreatePermission, Class::kRequest), stun_test::kTid);
  b.add(attr::kXorPeerAddress, SocketAddress::v4({192, 0, 2, 1}, 1))
      .add(attr::kXorPeerAddress, *SocketAddress::parse("[2001:db8::1]:2"));
  auto out = b.finish();
  REQUIRE(out.ok());
  auto m = MessageView::parse(*out);
  REQUIRE(m.ok());
  CHECK(*m->get(attr::kXorPeerAddress) == SocketAddress::v4({192, 0, 2, 1}, 1));
  std::vector<SocketAddress> peers;
  for (const auto& ref : m->attributes()) {
    if (ref.type == attr::kXorPeerAddress.code()) {
      peers.push_back(*m->decode(attr::kXorPeerAddress, ref));
    }
  }
  REQUIRE(peers.size() == 2);
  CHECK(peers[1] == *SocketAddress::parse("[2001:db8::1]:2"));
}

TEST_CASE("get: missing attribute") {
  const RawMessage empty;
  auto m = MessageView::parse(empty.view());
  REQUIRE(m.ok());
  CHECK(m->get(attr::kUsername).error() == ParseError::kMissing);
  CHECK_FALSE(m->find(AttrType::kUsername).has_value());
  CHECK_FALSE(m->integrity_offset().has_value());
  CHECK_FALSE(m->integrity_sha256_offset().has_value());
  CHECK_FALSE(m->fingerprint_offset().has_value());
}

TEST_CASE("after MESSAGE-INTEGRITY only MI-SHA256 and FINGERPRINT are indexed (§14.5)") {
  RawMessage raw;
  raw.attr(code(AttrType::kUsername), hex("61"));
  raw.attr(code(AttrType::kMessageIntegrity), kMac20);
  raw.attr(code(AttrType::kLifetime), kU32);
  raw.attr(code(AttrType::kMessageIntegrity), kMac20);
  raw.attr(code(AttrType::kMessageIntegritySha256), kMac32);
  raw.attr(code(AttrType::kFingerprint), kU32);
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  CHECK(m->attributes().size() == 4);
  CHECK(m->has(AttrType::kUsername));
  CHECK(m->get(attr::kLifetime).error() == ParseError::kMissing);
  CHECK(m->integrity_offset() == kHeaderSize + 8);
  CHECK(m->integrity_sha256_offset() == kHeaderSize + 8 + 24 + 8 + 24);
  CHECK(m->fingerprint_offset() == kHeaderSize + 8 + 24 + 8 + 24 + 36);
}

TEST_CASE("after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT is indexed (§14.6)") {
  RawMessage raw;
  raw.attr(code(AttrType::kMessageIntegritySha256), kMac32);
  raw.attr(code(AttrType::kMessageIntegrity), kMac20);
  raw.attr(code(AttrType::kLifetime), kU32);
  raw.attr(0x0024, kU32);  // unknown comprehension-required, but ignored here
  raw.attr(code(AttrType::kFingerprint), kU32);
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  CHECK(m->attributes().size() == 2);
  CHECK_FALSE(m->integrity_offset().has_value());
  CHECK(m->integrity_sha256_offset() == kHeaderSize);
  CHECK_FALSE(m->has(AttrType::kLifetime));
  CHECK(m->unknown_required().empty());
  CHECK(m->fingerprint_offset().has_value());
}

TEST_CASE("nothing after FINGERPRINT is indexed (§14.7)") {
  RawMessage raw;
  raw.attr(code(AttrType::kFingerprint), kU32);
  raw.attr(code(AttrType::kMessageIntegrity), kMac20);
  raw.attr(code(AttrType::kMessageIntegritySha256), kMac32);
  raw.attr(code(AttrType::kFingerprint), hex("00000002"));
  raw.attr(0x0024, kU32);
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  CHECK(m->attributes().size() == 1);
  CHECK(m->get(attr::kFingerprint).value_or(0) == 1);
  CHECK(m->fingerprint_offset() == kHeaderSize);
  CHECK_FALSE(m->integrity_offset().has_value());
  CHECK_FALSE(m->integrity_sha256_offset().has_value());
  CHECK(m->unknown_required().empty());
}

TEST_CASE("unknown comprehension-required attributes are reported, optional ones are not") {
  RawMessage raw;
  raw.attr(0x0024, kU32);  // PRIORITY (ICE): required range, unknown to TURN
  raw.attr(0x8029, kU32);  // ICE-CONTROLLED: optional range
  raw.attr(0x7FFF, {});    // top of the required range
  raw.attr(0x8000, kU32);  // ADDITIONAL-ADDRESS-FAMILY: known
  raw.attr(0xC001, {});    // optional, unknown
  raw.attr(code(AttrType::kLifetime), kU32);
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  const auto& unknown = m->unknown_required();
  REQUIRE(unknown.size() == 2);
  CHECK(unknown[0] == 0x0024);
  CHECK(unknown[1] == 0x7FFF);
}

TEST_CASE("unknown_required() lists each unknown type once") {
  RawMessage raw;
  for (int i = 0; i < 20; ++i)
    raw.attr(0x0024, kU32);
  raw.attr(0x0025, {});
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  REQUIRE(m->unknown_required().size() == 2);
  CHECK(m->unknown_required()[0] == 0x0024);
  CHECK(m->unknown_required()[1] == 0x0025);
}

TEST_CASE("unknown_required() reports at most 16 and the message still parses") {
  RawMessage raw;
  for (std::uint16_t t = 0x0040; t < 0x0040 + 20; ++t)
    raw.attr(t, {});
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  CHECK(m->unknown_required().size() == 16);
  CHECK(m->unknown_required()[15] == 0x0040 + 15);
}

TEST_CASE("a classic RFC 3489 message parses; its transaction id spans the cookie field") {
  // RFC 3489 §11.1: a 128-bit transaction id in place of cookie + 96-bit id.
  RawMessage raw(pack_type(Method::kBinding, Class::kRequest), 0x89ABCDEF);
  raw.attr(code(AttrType::kResponseAddress), hex("0001 1234 01020304"));
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  CHECK(m->is_classic());
  CHECK(m->cookie() == 0x89ABCDEF);
  CHECK(m->method() == Method::kBinding);
  CHECK(m->transaction_id() == stun_test::kTid);
  CHECK(m->unknown_required().empty());  // RESPONSE-ADDRESS is known

  const RawMessage modern_wire;
  auto modern = MessageView::parse(modern_wire.view());
  REQUIRE(modern.ok());
  CHECK_FALSE(modern->is_classic());
}

TEST_CASE("method and class are decoded from the type field") {
  for (auto cls : {Class::kRequest, Class::kIndication, Class::kSuccess, Class::kError}) {
    const RawMessage raw(pack_type(Method::kChannelBind, cls));
    auto m = MessageView::parse(raw.view());
    REQUIRE(m.ok());
    CHECK(m->method() == Method::kChannelBind);
    CHECK(m->message_class() == cls);
    CHECK(m->type() == pack_type(Method::kChannelBind, cls));
  }
}
