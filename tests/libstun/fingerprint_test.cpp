// CRC-32 and FINGERPRINT (RFC 8489 §14.7): the CRC is the ISO-HDLC one (as in zlib and
// PNG), XORed with 0x5354554e, over the message up to the attribute with the length patched.
#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "stun/builder.hpp"
#include "stun/fingerprint.hpp"
#include "stun/integrity.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::as_bytes;
using stun_test::hex;

TEST_CASE("crc32 gives the CRC-32/ISO-HDLC check value") {
  CHECK(crc32(as_bytes("123456789")) == 0xCBF43926);
  CHECK(crc32({}) == 0);
  CHECK(crc32(as_bytes("The quick brown fox jumps over the lazy dog")) == 0x414FA339);
}

TEST_CASE("crc32 continues over pieces") {
  const auto text = as_bytes("The quick brown fox jumps over the lazy dog");
  for (std::size_t split = 0; split <= text.size(); ++split) {
    CHECK(crc32(text.subspan(split), crc32(text.first(split))) == crc32(text));
  }
}

TEST_CASE("FINGERPRINT written by the builder verifies; any flipped bit fails") {
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, pack_type(Method::kBinding, Class::kRequest), stun_test::kTid);
  b.add(attr::kSoftware, "turnd").add_fingerprint();
  auto out = b.finish();
  REQUIRE(out.ok());
  const std::vector<std::uint8_t> original(out->begin(), out->end());
  auto m = MessageView::parse(original);
  REQUIRE(m.ok());
  CHECK(verify_fingerprint(*m));
  // The value is the CRC of everything before it, XOR 0x5354554e.
  const std::size_t fp = *m->fingerprint_offset();
  CHECK(load_u32(original.data() + fp + 4) == (crc32(Bytes{original}.first(fp)) ^ kFingerprintXor));

  for (std::size_t i = 0; i < original.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto wire = original;
      wire[i] ^= static_cast<std::uint8_t>(1 << bit);
      auto t = MessageView::parse(wire);
      if (t.ok())
        CHECK_FALSE(verify_fingerprint(*t));
    }
  }
}

TEST_CASE("FINGERPRINT covers the header with the length patched to end after it") {
  // With attributes after FINGERPRINT (ignored, §14.7) the received length is longer than the
  // covered part; verification must still patch it.
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, pack_type(Method::kBinding, Class::kRequest), stun_test::kTid);
  b.add(attr::kSoftware, "turnd").add_fingerprint();
  auto out = b.finish();
  REQUIRE(out.ok());
  std::vector<std::uint8_t> wire(out->begin(), out->end());
  wire.insert(wire.end(), {0x80, 0x22, 0x00, 0x01, 'x', 0, 0, 0});
  store_u16(wire.data() + 2, static_cast<std::uint16_t>(wire.size() - kHeaderSize));
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK(verify_fingerprint(*m));
}

TEST_CASE("FINGERPRINT of the wrong length never verifies") {
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, pack_type(Method::kBinding, Class::kRequest), stun_test::kTid);
  b.add(attr::kSoftware, "turnd");
  const std::size_t covered = b.size();
  // A correct CRC placed in an 8-byte FINGERPRINT.
  std::vector<std::uint8_t> wire(buf.begin(), buf.begin() + covered);
  wire.insert(wire.end(), {0x80, 0x28, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0});
  store_u16(wire.data() + 2, static_cast<std::uint16_t>(wire.size() - kHeaderSize));
  auto header = wire;
  store_u16(header.data() + 2, static_cast<std::uint16_t>(covered + 8 - kHeaderSize));
  store_u32(wire.data() + covered + 4, crc32(Bytes{header}.first(covered)) ^ kFingerprintXor);
  auto m = MessageView::parse(wire);
  REQUIRE(m.ok());
  CHECK_FALSE(verify_fingerprint(*m));
}
