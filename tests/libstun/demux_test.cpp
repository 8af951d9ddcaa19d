// First-byte demultiplexing (RFC 7983 §7, RFC 8656 §12), and its agreement with the framer and
// the ChannelData parser.
#include <doctest/doctest.h>

#include <vector>

#include "stun/channel_data.hpp"
#include "stun/demux.hpp"
#include "stun/framing.hpp"

using namespace stun;

namespace {

// RFC 7983 §7, the ranges as the figure there lists them.
struct Range {
  unsigned low, high;
  PacketKind kind;
};
constexpr Range kRfc7983[] = {
    {0, 3, PacketKind::kStun},          {16, 19, PacketKind::kZrtp},  {20, 63, PacketKind::kDtls},
    {64, 79, PacketKind::kChannelData}, {128, 191, PacketKind::kRtp},
};

PacketKind expected(unsigned b) {
  for (const auto& r : kRfc7983) {
    if (b >= r.low && b <= r.high)
      return r.kind;
  }
  return PacketKind::kUnknown;
}

}  // namespace

TEST_CASE("classify follows the RFC 7983 ranges for every first byte") {
  for (unsigned b = 0; b <= 0xFF; ++b) {
    CAPTURE(b);
    CHECK(classify(static_cast<std::uint8_t>(b)) == expected(b));
  }
}

TEST_CASE("classify boundaries") {
  CHECK(classify(3) == PacketKind::kStun);
  CHECK(classify(4) == PacketKind::kUnknown);
  CHECK(classify(15) == PacketKind::kUnknown);
  CHECK(classify(16) == PacketKind::kZrtp);
  CHECK(classify(63) == PacketKind::kDtls);
  CHECK(classify(64) == PacketKind::kChannelData);
  CHECK(classify(79) == PacketKind::kChannelData);
  CHECK(classify(80) == PacketKind::kUnknown);
  CHECK(classify(127) == PacketKind::kUnknown);
  CHECK(classify(128) == PacketKind::kRtp);
  CHECK(classify(191) == PacketKind::kRtp);
  CHECK(classify(192) == PacketKind::kUnknown);
  CHECK(classify(255) == PacketKind::kUnknown);
}

TEST_CASE("classify agrees with the framer and with valid channel numbers") {
  for (unsigned b = 0; b <= 0xFF; ++b) {
    CAPTURE(b);
    std::vector<std::uint8_t> wire(32, 0);
    wire[0] = static_cast<std::uint8_t>(b);
    const auto kind = classify(wire[0]);
    auto frame = next_frame(wire);
    CHECK(frame.ok() == (kind == PacketKind::kStun || kind == PacketKind::kChannelData));
    if (frame.ok()) {
      CHECK((frame->kind == FrameKind::kStun) == (kind == PacketKind::kStun));
    }
    CHECK(is_valid_channel(static_cast<std::uint16_t>(b << 8)) ==
          (kind == PacketKind::kChannelData));
  }
}

TEST_CASE("demux: with RFC 5766's channel range, 64-127 are ChannelData and nothing else moves") {
  for (int b = 0; b < 256; ++b) {
    const auto byte = static_cast<std::uint8_t>(b);
    CAPTURE(b);
    // RFC 8656's range: the same as RFC 7983's table.
    CHECK(stun::classify(byte, stun::kMaxChannel) == stun::classify(byte));
    const stun::PacketKind wide = stun::classify(byte, stun::kMaxChannelRfc5766);
    if (b >= 64 && b <= 127) {
      CHECK(wide == stun::PacketKind::kChannelData);
    } else {
      CHECK(wide == stun::classify(byte));
    }
  }
}
