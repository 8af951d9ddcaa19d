// MessageBuilder: header layout, zeroed padding, buffer limits and the attribute order of
// RFC 8489 §14.5-§14.7.
#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "stun/builder.hpp"
#include "stun/integrity.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::hex;
using stun_test::RawMessage;
using stun_test::same_bytes;

namespace {

const auto kKey = stun_test::as_bytes("key");

MessageBuilder allocate(MutableBytes buf) {
  return MessageBuilder(buf, pack_type(Method::kAllocate, Class::kRequest), stun_test::kTid);
}

}  // namespace

TEST_CASE("the header carries type, body length, cookie and transaction id (RFC 8489 §5)") {
  std::array<std::uint8_t, 64> buf{};
  auto b = allocate(buf);
  b.add(attr::kLifetime, 600);
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(same_bytes(*out, hex("0003 0008 2112a442 0123456789abcdeffedcba98 000d 0004 00000258")));
  CHECK(b.size() == out->size());
}

TEST_CASE("the two top bits of the type are always zero") {
  std::array<std::uint8_t, 20> buf{};
  MessageBuilder b(buf, 0xFFFF, stun_test::kTid);
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(load_u16(out->data()) == 0x3FFF);
}

TEST_CASE("a classic RFC 3489 cookie is written as given") {
  std::array<std::uint8_t, 20> buf{};
  MessageBuilder b(buf, 0x0101, stun_test::kTid, 0x01020304);
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(load_u32(out->data() + 4) == 0x01020304);
}

TEST_CASE("padding is zeroed even in a dirty buffer (CVE-2020-4067)") {
  std::vector<std::uint8_t> buf(256, 0xAA);
  auto b = allocate(buf);
  b.add(attr::kUsername, "a").add(attr::kEvenPort, true).add_raw(0x8888, hex("0102"));
  b.add(attr::kData, hex("010203"));
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(same_bytes(out->subspan(kHeaderSize),
                   hex("0006 0001 61000000 0018 0001 80000000 8888 0002 01020000"
                       "0013 0003 01020300")));
}

TEST_CASE("response_to copies method, transaction id and cookie") {
  const RawMessage classic(pack_type(Method::kBinding, Class::kRequest), 0xCAFEBABE);
  auto request = MessageView::parse(classic.view());
  REQUIRE(request.ok());
  std::array<std::uint8_t, 64> buf{};
  auto b = MessageBuilder::response_to(buf, *request, Class::kError);
  b.add(attr::kErrorCode, {400, "Bad Request"});
  auto out = b.finish();
  REQUIRE(out.ok());
  auto response = MessageView::parse(*out);
  REQUIRE(response.ok());
  CHECK(response->method() == Method::kBinding);
  CHECK(response->message_class() == Class::kError);
  CHECK(response->cookie() == 0xCAFEBABE);
  CHECK(response->transaction_id() == request->transaction_id());
}

TEST_CASE("builder: buffer too small") {
  SUBCASE("for the header") {
    std::array<std::uint8_t, 19> buf{};
    auto b = allocate(buf);
    CHECK(b.error() == ParseError::kBufferTooSmall);
    b.add(attr::kLifetime, 1);
    CHECK(b.finish().error() == ParseError::kBufferTooSmall);
  }
  SUBCASE("for an attribute, and the error sticks") {
    std::array<std::uint8_t, 20 + 8 + 7> buf{};
    auto b = allocate(buf);
    b.add(attr::kLifetime, 1);
    CHECK(b.error() == ParseError::kOk);
    b.add(attr::kLifetime, 2);  // needs 8 bytes, 7 left
    CHECK(b.error() == ParseError::kBufferTooSmall);
    CHECK(b.size() == 28);
    b.add(attr::kEvenPort, true);  // would fit, but the first error sticks
    CHECK(b.size() == 28);
    CHECK(b.finish().error() == ParseError::kBufferTooSmall);
  }
  SUBCASE("for the padding of an attribute") {
    std::array<std::uint8_t, 20 + 4 + 3> buf{};
    auto b = allocate(buf);
    b.add(attr::kData, hex("010203"));  // 3 value bytes fit, the padding byte does not
    CHECK(b.finish().error() == ParseError::kBufferTooSmall);
  }
  SUBCASE("for integrity and fingerprint") {
    std::array<std::uint8_t, 20 + 24 + 7> buf{};
    auto b = allocate(buf);
    b.add_integrity_sha1(kKey);
    CHECK(b.error() == ParseError::kOk);
    b.add_fingerprint();
    CHECK(b.finish().error() == ParseError::kBufferTooSmall);

    std::array<std::uint8_t, 20 + 35> small{};
    auto b2 = allocate(small);
    b2.add_integrity_sha256(kKey);
    CHECK(b2.finish().error() == ParseError::kBufferTooSmall);
  }
  SUBCASE("an exact fit succeeds") {
    std::array<std::uint8_t, 20 + 8 + 24 + 36 + 8> buf{};
    auto b = allocate(buf);
    b.add(attr::kLifetime, 1).add_integrity_sha1(kKey).add_integrity_sha256(kKey).add_fingerprint();
    auto out = b.finish();
    REQUIRE(out.ok());
    CHECK(out->size() == buf.size());
  }
  SUBCASE("the 16-bit length field caps a message at 20 + 65532 bytes") {
    std::vector<std::uint8_t> buf(70000);
    const std::vector<std::uint8_t> big(0xFFFC - 4);
    auto b = allocate(buf);
    b.add(attr::kData, Bytes{big});
    REQUIRE(b.error() == ParseError::kOk);
    CHECK(b.size() == kHeaderSize + 0xFFFC);
    b.add(attr::kDontFragment, {});
    CHECK(b.error() == ParseError::kBufferTooSmall);

    const std::vector<std::uint8_t> huge(0x10000);
    auto b2 = allocate(buf);
    b2.add(attr::kData, Bytes{huge});
    CHECK(b2.error() == ParseError::kBufferTooSmall);
  }
}

TEST_CASE("builder: attribute order (RFC 8489 §14.5-§14.7)") {
  std::array<std::uint8_t, 256> buf{};
  SUBCASE("MI, MI-SHA256, FINGERPRINT in that order is accepted") {
    auto b = allocate(buf);
    b.add(attr::kLifetime, 1).add_integrity_sha1(kKey).add_integrity_sha256(kKey).add_fingerprint();
    auto out = b.finish();
    REQUIRE(out.ok());
    auto m = MessageView::parse(*out);
    REQUIRE(m.ok());
    CHECK(verify_integrity_sha1(*m, kKey));
    CHECK(verify_integrity_sha256(*m, kKey));
    CHECK(verify_fingerprint(*m));
  }
  SUBCASE("an attribute after MESSAGE-INTEGRITY") {
    auto b = allocate(buf);
    b.add_integrity_sha1(kKey).add(attr::kLifetime, 1);
    CHECK(b.finish().error() == ParseError::kAttributeOrder);
  }
  SUBCASE("a raw attribute after MESSAGE-INTEGRITY-SHA256") {
    auto b = allocate(buf);
    b.add_integrity_sha256(kKey).add_raw(0x8888, {});
    CHECK(b.finish().error() == ParseError::kAttributeOrder);
  }
  SUBCASE("MESSAGE-INTEGRITY after MESSAGE-INTEGRITY-SHA256") {
    auto b = allocate(buf);
    b.add_integrity_sha256(kKey).add_integrity_sha1(kKey);
    CHECK(b.finish().error() == ParseError::kAttributeOrder);
  }
  SUBCASE("the same integrity attribute twice") {
    auto b = allocate(buf);
    b.add_integrity_sha1(kKey).add_integrity_sha1(kKey);
    CHECK(b.finish().error() == ParseError::kAttributeOrder);
    auto b2 = allocate(buf);
    b2.add_integrity_sha256(kKey).add_integrity_sha256(kKey);
    CHECK(b2.finish().error() == ParseError::kAttributeOrder);
  }
  SUBCASE("anything after FINGERPRINT") {
    auto b1 = allocate(buf);
    b1.add_fingerprint().add(attr::kLifetime, 1);
    CHECK(b1.finish().error() == ParseError::kAttributeOrder);
    auto b2 = allocate(buf);
    b2.add_fingerprint().add_integrity_sha1(kKey);
    CHECK(b2.finish().error() == ParseError::kAttributeOrder);
    auto b3 = allocate(buf);
    b3.add_fingerprint().add_integrity_sha256(kKey);
    CHECK(b3.finish().error() == ParseError::kAttributeOrder);
    auto b4 = allocate(buf);
    b4.add_fingerprint().add_fingerprint();
    CHECK(b4.finish().error() == ParseError::kAttributeOrder);
  }
  SUBCASE("integrity and fingerprint written with add()/add_raw() obey the same order") {
    const std::array<std::uint8_t, 20> mac{};
    auto b1 = allocate(buf);
    b1.add(attr::kMessageIntegrity, Bytes{mac}).add(attr::kLifetime, 1);
    CHECK(b1.finish().error() == ParseError::kAttributeOrder);
    auto b2 = allocate(buf);
    b2.add(attr::kFingerprint, 0).add_raw(0x8888, {});
    CHECK(b2.finish().error() == ParseError::kAttributeOrder);
    auto b3 = allocate(buf);
    b3.add_raw(static_cast<std::uint16_t>(AttrType::kMessageIntegritySha256), Bytes{mac}.first(16))
        .add_integrity_sha1(kKey);
    CHECK(b3.finish().error() == ParseError::kAttributeOrder);
    auto b4 = allocate(buf);
    b4.add_raw(static_cast<std::uint16_t>(AttrType::kMessageIntegritySha256), Bytes{mac}.first(16))
        .add_fingerprint();
    CHECK(b4.finish().ok());
  }
  SUBCASE("the first error sticks: an order error is not replaced by a later one") {
    auto b = allocate(buf);
    b.add_fingerprint().add(attr::kLifetime, 1);
    const std::vector<std::uint8_t> huge(0x10000);
    b.add(attr::kData, Bytes{huge});
    CHECK(b.finish().error() == ParseError::kAttributeOrder);
  }
}

TEST_CASE("MESSAGE-INTEGRITY covers the header with the length counting itself (§14.5)") {
  // Recompute the HMAC by hand over the message as RFC 8489 §14.5 describes it.
  std::array<std::uint8_t, 128> buf{};
  auto b = allocate(buf);
  b.add(attr::kUsername, "user").add_integrity_sha1(kKey).add_fingerprint();
  auto out = b.finish();
  REQUIRE(out.ok());
  const std::size_t mi = kHeaderSize + 8;
  std::vector<std::uint8_t> covered(out->begin(), out->begin() + mi);
  store_u16(covered.data() + 2, static_cast<std::uint16_t>(mi + 24 - kHeaderSize));
  const Bytes pieces[] = {covered};
  std::array<std::uint8_t, 32> mac{};
  REQUIRE(hmac("SHA1", kKey, pieces, mac) == 20);
  CHECK(load_u16(out->data() + mi) == 0x0008);
  CHECK(same_bytes(out->subspan(mi + 4, 20), Bytes{mac}.first(20)));
}
