// ChannelData (RFC 8656 §12.4-§12.5): channel numbers 0x4000-0x4FFF, a 16-bit payload length,
// padding optional over UDP and anything after the payload ignored.
#include <doctest/doctest.h>

#include <vector>

#include "stun/channel_data.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::hex;
using stun_test::same_bytes;

TEST_CASE("ChannelData: channel and payload") {
  const auto wire = hex("4001 0005 0102030405");
  auto cd = ChannelDataView::parse(wire);
  REQUIRE(cd.ok());
  CHECK(cd->channel == 0x4001);
  CHECK(same_bytes(cd->payload, hex("0102030405")));
  CHECK(cd->payload.data() == wire.data() + kChannelDataHeaderSize);  // a view, not a copy
}

TEST_CASE("ChannelData over UDP: padding optional, trailing bytes ignored (RFC 8656 §12.5)") {
  for (const char* wire_hex : {"4FFF 0005 0102030405", "4FFF 0005 0102030405 000000",
                               "4FFF 0005 0102030405 000000 4000 0001 ff"}) {
    CAPTURE(wire_hex);
    const auto wire = hex(wire_hex);
    auto cd = ChannelDataView::parse(wire);
    REQUIRE(cd.ok());
    CHECK(cd->channel == 0x4FFF);
    CHECK(same_bytes(cd->payload, hex("0102030405")));
  }
}

TEST_CASE("ChannelData: empty payload") {
  auto cd = ChannelDataView::parse(hex("4000 0000"));
  REQUIRE(cd.ok());
  CHECK(cd->channel == 0x4000);
  CHECK(cd->payload.empty());
}

TEST_CASE("ChannelData: short header") {
  const auto wire = hex("4000 0000");
  for (std::size_t n = 0; n < kChannelDataHeaderSize; ++n) {
    CHECK(ChannelDataView::parse(Bytes{wire}.first(n)).error() == ParseError::kShortChannelData);
  }
}

TEST_CASE("ChannelData: channel number out of range (RFC 8656 §12)") {
  for (std::uint16_t channel : {0x0000, 0x0001, 0x3FFF, 0x5000, 0x7FFF, 0x8000, 0xFFFF}) {
    CAPTURE(channel);
    std::vector<std::uint8_t> wire(4);
    write_channel_data_header(wire.data(), channel, 0);
    CHECK(ChannelDataView::parse(wire).error() == ParseError::kChannelOutOfRange);
  }
}

TEST_CASE("ChannelData: length beyond the buffer") {
  CHECK(ChannelDataView::parse(hex("4000 0001")).error() == ParseError::kChannelDataBeyondBuffer);
  CHECK(ChannelDataView::parse(hex("4000 0005 01020304")).error() ==
        ParseError::kChannelDataBeyondBuffer);
  CHECK(ChannelDataView::parse(hex("4000 ffff 01020304")).error() ==
        ParseError::kChannelDataBeyondBuffer);
}

TEST_CASE("ChannelData: the largest payload") {
  std::vector<std::uint8_t> wire(kChannelDataHeaderSize + 0xFFFF, 0x5A);
  write_channel_data_header(wire.data(), 0x4ABC, 0xFFFF);
  auto cd = ChannelDataView::parse(wire);
  REQUIRE(cd.ok());
  CHECK(cd->payload.size() == 0xFFFF);
}

TEST_CASE("is_valid_channel bounds and write_channel_data_header layout") {
  CHECK_FALSE(is_valid_channel(kMinChannel - 1));
  CHECK(is_valid_channel(kMinChannel));
  CHECK(is_valid_channel(kMaxChannel));
  CHECK_FALSE(is_valid_channel(kMaxChannel + 1));
  std::vector<std::uint8_t> out(4);
  write_channel_data_header(out.data(), 0x4321, 0x0102);
  CHECK(out == hex("4321 0102"));
}

TEST_CASE("channel_data_size: padded to 4 over streams, exact over UDP") {
  for (std::size_t n = 0; n <= 9; ++n) {
    CAPTURE(n);
    CHECK(channel_data_size(n, false) == 4 + n);
    CHECK(channel_data_size(n, true) % 4 == 0);
    CHECK(channel_data_size(n, true) >= 4 + n);
    CHECK(channel_data_size(n, true) < 4 + n + 4);
  }
}
