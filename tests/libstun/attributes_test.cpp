// Attribute codecs (RFC 8489 §14, RFC 8656 §18, RFC 5780 §7, RFC 6062 §6.2): every descriptor in
// stun::attr round-trips through MessageBuilder::add and MessageView::get, and every codec refuses
// the lengths and values its RFC does not allow.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::as_bytes;
using stun_test::hex;
using stun_test::RawMessage;
using stun_test::same_bytes;

namespace {

// Codes whose round trip ran, so the coverage test can compare them with every known type.
std::set<std::uint16_t>& covered() {
  static std::set<std::uint16_t> codes;
  return codes;
}

bool equal_values(const SocketAddress& a, const SocketAddress& b) {
  return a == b;
}
bool equal_values(Bytes a, Bytes b) {
  return same_bytes(a, b);
}
template <typename T>
bool equal_values(const T& a, const T& b) {
  return a == b;
}

/// Builds a message holding only `value`, checks the wire length and zero padding, parses it back
/// and compares what get() decodes.
template <typename C>
void round_trip(const Attribute<C>& descriptor, const typename C::Value& value) {
  CAPTURE(attribute_name(descriptor.code()));
  std::vector<std::uint8_t> buf(2048, 0xEE);  // dirty, so unwritten padding would show
  MessageBuilder b(buf, pack_type(Method::kAllocate, Class::kRequest), stun_test::kTid);
  b.add(descriptor, value);
  auto out = b.finish();
  REQUIRE(out.ok());
  const std::size_t size = C::size(value);
  REQUIRE(out->size() == kHeaderSize + kAttributeHeaderSize + pad4(size));
  CHECK(load_u16(out->data() + kHeaderSize) == descriptor.code());
  CHECK(load_u16(out->data() + kHeaderSize + 2) == size);
  for (std::size_t i = kHeaderSize + kAttributeHeaderSize + size; i < out->size(); ++i) {
    CHECK((*out)[i] == 0);
  }

  auto m = MessageView::parse(*out);
  REQUIRE(m.ok());
  auto decoded = m->get(descriptor);
  REQUIRE(decoded.ok());
  CHECK(equal_values(*decoded, value));
  covered().insert(descriptor.code());
}

template <typename C>
void round_trip_addresses(const Attribute<C>& descriptor) {
  round_trip(descriptor, SocketAddress::v4({192, 0, 2, 1}, 32853));
  round_trip(descriptor, SocketAddress::v4({255, 255, 255, 255}, 65535));
  round_trip(descriptor, SocketAddress::v4({0, 0, 0, 0}, 0));
  round_trip(descriptor, *SocketAddress::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
  round_trip(descriptor, *SocketAddress::parse("[::1]:1"));
  round_trip(descriptor, *SocketAddress::parse("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"));
}

/// get() on a message whose only attribute is `type` with `value`.
template <typename C>
ParseError decode_error(const Attribute<C>& descriptor, Bytes value) {
  RawMessage raw;
  raw.attr(descriptor.code(), value);
  auto m = MessageView::parse(raw.view());
  REQUIRE(m.ok());
  return m->get(descriptor).error();
}

std::vector<std::uint8_t> zeros(std::size_t n) {
  return std::vector<std::uint8_t>(n, 0);
}

void all_addresses() {
  round_trip_addresses(attr::kMappedAddress);
  round_trip_addresses(attr::kXorPeerAddress);
  round_trip_addresses(attr::kXorRelayedAddress);
  round_trip_addresses(attr::kXorMappedAddress);
  round_trip_addresses(attr::kAlternateServer);
  round_trip_addresses(attr::kResponseOrigin);
  round_trip_addresses(attr::kOtherAddress);
}

void all_integers() {
  round_trip(attr::kChangeRequest, kChangeIp | kChangePort);
  round_trip(attr::kChangeRequest, std::uint32_t{0});
  round_trip(attr::kLifetime, std::uint32_t{600});
  round_trip(attr::kLifetime, std::uint32_t{0xFFFFFFFF});
  round_trip(attr::kConnectionId, std::uint32_t{0x12345678});
  round_trip(attr::kFingerprint, std::uint32_t{0xDEADBEEF});
  round_trip(attr::kReservationToken, std::uint64_t{0x0123456789ABCDEF});
  round_trip(attr::kReservationToken, std::uint64_t{0xFFFFFFFFFFFFFFFF});
  round_trip(attr::kChannelNumber, kMinChannel);
  round_trip(attr::kChannelNumber, kMaxChannel);
  round_trip(attr::kResponsePort, std::uint16_t{3478});
  round_trip(attr::kRequestedTransport, kTransportUdp);
  round_trip(attr::kRequestedTransport, kTransportTcp);
  round_trip(attr::kRequestedAddressFamily, kFamilyIpv4);
  round_trip(attr::kRequestedAddressFamily, kFamilyIpv6);
  round_trip(attr::kAdditionalAddressFamily, kFamilyIpv6);
  round_trip(attr::kEvenPort, true);
  round_trip(attr::kEvenPort, false);
  round_trip(attr::kDontFragment, codec::Empty::Value{});
}

void all_texts() {
  round_trip(attr::kUsername, "evtj:h6vY");
  round_trip(attr::kUsername, "");
  const std::string username_max(513, 'u');
  round_trip(attr::kUsername, username_max);
  round_trip(attr::kRealm, "example.org");
  const std::string long_text(763, 'r');
  round_trip(attr::kRealm, long_text);
  round_trip(attr::kNonce, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
  round_trip(attr::kNonce, long_text);
  round_trip(attr::kSoftware, "turnd 0.1");
  round_trip(attr::kSoftware, long_text);
  round_trip(attr::kAlternateDomain, "turn.example.org");
  const std::string domain_max(255, 'd');
  round_trip(attr::kAlternateDomain, domain_max);
}

void all_opaques() {
  std::vector<std::uint8_t> bytes;
  for (std::size_t n = 0; n <= 9; ++n) {
    bytes.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      bytes[i] = static_cast<std::uint8_t>(0xA0 + i);
    round_trip(attr::kData, Bytes{bytes});
    round_trip(attr::kPadding, Bytes{bytes});
    round_trip(attr::kAccessToken, Bytes{bytes});
  }
  std::array<std::uint8_t, 32> mac{};
  for (std::size_t i = 0; i < mac.size(); ++i)
    mac[i] = static_cast<std::uint8_t>(i * 7);
  round_trip(attr::kMessageIntegritySha256, Bytes{mac});
  round_trip(attr::kMessageIntegritySha256, Bytes{mac}.first(16));
  round_trip(attr::kUserhash, Bytes{mac});
  round_trip(attr::kMessageIntegrity, Bytes{mac}.first(20));
}

void all_error_codes() {
  for (std::uint16_t code : {300, 401, 420, 438, 486, 508, 599, 600, 699}) {
    CAPTURE(code);
    round_trip(attr::kErrorCode, {code, "Reason"});
    round_trip(attr::kAddressErrorCode, {kFamilyIpv4, code, "Reason phrase"});
    round_trip(attr::kAddressErrorCode, {kFamilyIpv6, code, ""});
  }
  round_trip(attr::kErrorCode, {401, ""});
}

void all_lists() {
  round_trip(attr::kIcmp, {3, 4, 1400});
  round_trip(attr::kIcmp, {255, 255, 0xFFFFFFFF});

  codec::UnknownAttributes::Value unknown;
  round_trip(attr::kUnknownAttributes, unknown);
  for (std::uint16_t t = 0x0030; unknown.push(t); ++t) {
    round_trip(attr::kUnknownAttributes, unknown);  // odd and even counts, up to 16
  }

  const auto params = hex("010203");
  round_trip(attr::kPasswordAlgorithm, {kPasswordAlgorithmSha256, {}});
  round_trip(attr::kPasswordAlgorithm, {kPasswordAlgorithmMd5, Bytes{params}});

  codec::PasswordAlgorithms::Value algorithms;
  round_trip(attr::kPasswordAlgorithms, algorithms);
  algorithms.push({kPasswordAlgorithmSha256, {}});
  algorithms.push({kPasswordAlgorithmMd5, Bytes{params}});
  algorithms.push({0x7777, Bytes{params}.first(1)});
  round_trip(attr::kPasswordAlgorithms, algorithms);
}

}  // namespace

TEST_CASE("address attributes round-trip IPv4 and IPv6") {
  all_addresses();
}
TEST_CASE("integer attributes round-trip") {
  all_integers();
}
TEST_CASE("text attributes round-trip, up to their maximum length") {
  all_texts();
}
TEST_CASE("opaque attributes round-trip at every padding remainder") {
  all_opaques();
}
TEST_CASE("error code attributes round-trip every class") {
  all_error_codes();
}
TEST_CASE("ICMP, UNKNOWN-ATTRIBUTES and PASSWORD-ALGORITHM(S) round-trip") {
  all_lists();
}

TEST_CASE("ERROR-CODE wire layout: class in byte 2, number in byte 3 (RFC 8489 §14.8)") {
  std::array<std::uint8_t, 64> buf{};
  MessageBuilder b(buf, pack_type(Method::kAllocate, Class::kError), stun_test::kTid);
  b.add(attr::kErrorCode, {437, "Allocation Mismatch"});
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(same_bytes(out->subspan(kHeaderSize, 8), hex("0009 0017 0000 0425")));
}

TEST_CASE("every descriptor in stun::attr has a round-trip test") {
  // Every attribute type libstun knows, except RESPONSE-ADDRESS (RFC 3489, deprecated), which
  // has a name for logs but no descriptor.
  std::set<std::uint16_t> known;
  for (std::uint32_t t = 0; t <= 0xFFFF; ++t) {
    if (is_known_attribute(static_cast<std::uint16_t>(t)))
      known.insert(static_cast<std::uint16_t>(t));
  }
  known.erase(static_cast<std::uint16_t>(AttrType::kResponseAddress));
  covered().clear();
  all_addresses();
  all_integers();
  all_texts();
  all_opaques();
  all_error_codes();
  all_lists();
  CHECK(covered() == known);
}

TEST_CASE("address codecs refuse bad families and lengths") {
  // RFC 8489 §14.1: family 0x01 with 4 address bytes or 0x02 with 16.
  CHECK(decode_error(attr::kMappedAddress, hex("0003 1234 01020304")) ==
        ParseError::kBadAddressFamily);
  CHECK(decode_error(attr::kXorMappedAddress, hex("0000 1234 01020304")) ==
        ParseError::kBadAddressFamily);
  CHECK(decode_error(attr::kXorPeerAddress, hex("0001 1234 0102030405060708")) ==
        ParseError::kBadAddressLength);
  CHECK(decode_error(attr::kXorRelayedAddress, hex("0002 1234 01020304")) ==
        ParseError::kBadAddressLength);
  CHECK(decode_error(attr::kAlternateServer, hex("0001 12")) == ParseError::kBadAddressLength);
  CHECK(decode_error(attr::kOtherAddress, {}) == ParseError::kBadAddressLength);
  auto v4_too_long = zeros(24);
  v4_too_long[1] = kFamilyIpv4;
  CHECK(decode_error(attr::kResponseOrigin, v4_too_long) == ParseError::kBadAddressLength);
}

TEST_CASE("fixed-size codecs refuse every other length") {
  for (std::size_t n = 0; n <= 12; ++n) {
    CAPTURE(n);
    const auto v = zeros(n);
    const auto expect = [&](std::size_t ok_size) {
      return n == ok_size ? ParseError::kOk : ParseError::kBadAttributeLength;
    };
    CHECK(decode_error(attr::kLifetime, v) == expect(4));            // U32
    CHECK(decode_error(attr::kReservationToken, v) == expect(8));    // U64
    CHECK(decode_error(attr::kChannelNumber, v) == expect(4));       // U16Rffu
    CHECK(decode_error(attr::kRequestedTransport, v) == expect(4));  // U8Rffu
    CHECK(decode_error(attr::kEvenPort, v) == expect(1));            // EvenPort
    CHECK(decode_error(attr::kDontFragment, v) == expect(0));        // Empty
    CHECK(decode_error(attr::kIcmp, v) == expect(8));                // Icmp
    CHECK(decode_error(attr::kMessageIntegrity, v) == expect(20));   // FixedOpaque<20>
  }
  CHECK(decode_error(attr::kMessageIntegrity, zeros(20)) == ParseError::kOk);
  CHECK(decode_error(attr::kMessageIntegrity, zeros(24)) == ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kUserhash, zeros(32)) == ParseError::kOk);
  CHECK(decode_error(attr::kUserhash, zeros(31)) == ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kUserhash, zeros(36)) == ParseError::kBadAttributeLength);
}

TEST_CASE("text codecs refuse values over their maximum (RFC 8489 §14.3, §14.9-§14.10)") {
  CHECK(decode_error(attr::kUsername, zeros(513)) == ParseError::kOk);
  CHECK(decode_error(attr::kUsername, zeros(514)) == ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kRealm, zeros(764)) == ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kNonce, zeros(764)) == ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kSoftware, zeros(764)) == ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kAlternateDomain, zeros(256)) == ParseError::kBadAttributeLength);
}

TEST_CASE("error code codecs refuse bad lengths, classes and numbers") {
  CHECK(decode_error(attr::kErrorCode, hex("000004")) == ParseError::kBadAttributeLength);
  auto long_reason = hex("00000401");
  long_reason.resize(4 + 763, 'x');
  CHECK(decode_error(attr::kErrorCode, long_reason) == ParseError::kOk);
  long_reason.push_back('x');
  CHECK(decode_error(attr::kErrorCode, long_reason) == ParseError::kBadAttributeLength);
  // RFC 8489 §14.8: the class is 3 to 6 and the number 0 to 99.
  for (std::uint8_t cls = 0; cls <= 7; ++cls) {
    CAPTURE(int{cls});
    const ParseError expected =
        cls >= 3 && cls <= 6 ? ParseError::kOk : ParseError::kBadAttributeValue;
    CHECK(decode_error(attr::kErrorCode, std::vector<std::uint8_t>{0, 0, cls, 0}) == expected);
    CHECK(decode_error(attr::kAddressErrorCode, std::vector<std::uint8_t>{1, 0, cls, 0}) ==
          expected);
  }
  CHECK(decode_error(attr::kErrorCode, hex("00000463")) == ParseError::kOk);  // 499
  CHECK(decode_error(attr::kErrorCode, hex("00000464")) == ParseError::kBadAttributeValue);
  CHECK(decode_error(attr::kAddressErrorCode, hex("01000464")) == ParseError::kBadAttributeValue);
  CHECK(decode_error(attr::kAddressErrorCode, hex("010004")) == ParseError::kBadAttributeLength);
  // RFC 8656 §18.12: the family is IPv4 or IPv6.
  CHECK(decode_error(attr::kAddressErrorCode, hex("03000401")) == ParseError::kBadAddressFamily);
  CHECK(decode_error(attr::kAddressErrorCode, hex("00000401")) == ParseError::kBadAddressFamily);
}

TEST_CASE("list codecs refuse bad lengths and overlong lists") {
  CHECK(decode_error(attr::kUnknownAttributes, hex("000100")) == ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kUnknownAttributes, zeros(32)) == ParseError::kOk);
  CHECK(decode_error(attr::kUnknownAttributes, zeros(34)) == ParseError::kBadAttributeLength);

  // PASSWORD-ALGORITHM: a 4-byte header, then exactly the (padded) parameters.
  CHECK(decode_error(attr::kPasswordAlgorithm, hex("0002")) == ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kPasswordAlgorithm, hex("00020004 0102")) ==
        ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kPasswordAlgorithm, hex("00020000 00000000")) ==
        ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kPasswordAlgorithm, hex("00020002 0102")) == ParseError::kOk);

  CHECK(decode_error(attr::kPasswordAlgorithms, hex("00020000 0001")) ==
        ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kPasswordAlgorithms, hex("00020000 00010008 01")) ==
        ParseError::kBadAttributeLength);
  CHECK(decode_error(attr::kPasswordAlgorithms, zeros(4 * 8)) == ParseError::kOk);
  CHECK(decode_error(attr::kPasswordAlgorithms, zeros(4 * 9)) == ParseError::kBadAttributeLength);
}

TEST_CASE("XOR address codec: wire bytes of RFC 8489 §14.2 by hand") {
  // Port XOR the cookie's top 16 bits; IPv4 XOR the cookie; IPv6 XOR cookie || transaction id.
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, pack_type(Method::kBinding, Class::kSuccess), stun_test::kTid);
  b.add(attr::kXorMappedAddress, SocketAddress::v4({0x21, 0x12, 0xA4, 0x42}, 0x2112));
  b.add(attr::kMappedAddress, SocketAddress::v4({10, 0, 0, 1}, 0x1234));
  b.add(attr::kXorPeerAddress, SocketAddress::v6({}, 0));
  auto out = b.finish();
  REQUIRE(out.ok());
  CHECK(same_bytes(out->subspan(kHeaderSize),
                   hex("0020 0008 0001 0000 00000000"
                       "0001 0008 0001 1234 0a000001"
                       "0012 0014 0002 2112 2112a442 01234567 89abcdef fedcba98")));
}

TEST_CASE("FixedOpaque encodes a short value with zero fill instead of over-reading") {
  const auto five = hex("0102030405");
  std::array<std::uint8_t, 128> buf{};
  MessageBuilder b(buf, pack_type(Method::kBinding, Class::kRequest), stun_test::kTid);
  b.add(attr::kUserhash, Bytes{five});
  auto out = b.finish();
  REQUIRE(out.ok());
  auto m = MessageView::parse(*out);
  REQUIRE(m.ok());
  auto hash = m->get(attr::kUserhash);
  REQUIRE(hash.ok());
  REQUIRE(hash->size() == 32);
  CHECK(same_bytes(hash->first(5), five));
  CHECK(std::all_of(hash->begin() + 5, hash->end(), [](std::uint8_t x) { return x == 0; }));
}
