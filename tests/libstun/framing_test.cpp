// Stream framing (RFC 8656 §10.1, §12.5; RFC 6062): STUN messages and ChannelData frames cut
// from a TCP/TLS byte stream however the stream happens to be split.
#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "stun/builder.hpp"
#include "stun/channel_data.hpp"
#include "stun/framing.hpp"
#include "stun/message_view.hpp"
#include "test_util.hpp"

using namespace stun;
using stun_test::hex;
using stun_test::same_bytes;

namespace {

struct Expected {
  FrameKind kind;
  std::vector<std::uint8_t> bytes;
};

/// A stream of mixed frames: STUN messages of several sizes and ChannelData with every padding
/// remainder, each padded to 4 as streams require.
std::vector<Expected> mixed_frames() {
  std::vector<Expected> frames;
  std::array<std::uint8_t, 512> buf{};
  {
    MessageBuilder b(buf, pack_type(Method::kAllocate, Class::kRequest), stun_test::kTid);
    b.add(attr::kRequestedTransport, kTransportUdp).add(attr::kLifetime, 600).add_fingerprint();
    auto out = b.finish();
    REQUIRE(out.ok());
    frames.push_back({FrameKind::kStun, {out->begin(), out->end()}});
  }
  for (std::size_t n : {0, 1, 2, 3, 4, 5, 100}) {
    std::vector<std::uint8_t> cd(channel_data_size(n, true), 0);
    write_channel_data_header(cd.data(), static_cast<std::uint16_t>(0x4000 + n),
                              static_cast<std::uint16_t>(n));
    for (std::size_t i = 0; i < n; ++i)
      cd[4 + i] = static_cast<std::uint8_t>(i + 1);
    frames.push_back({FrameKind::kChannelData, cd});
  }
  {
    MessageBuilder b(buf, pack_type(Method::kSend, Class::kIndication), stun_test::kTid);
    const std::vector<std::uint8_t> data(77, 0xD7);
    b.add(attr::kXorPeerAddress, SocketAddress::v4({192, 0, 2, 7}, 9)).add(attr::kData, data);
    auto out = b.finish();
    REQUIRE(out.ok());
    frames.push_back({FrameKind::kStun, {out->begin(), out->end()}});
  }
  {
    MessageBuilder b(buf, pack_type(Method::kBinding, Class::kRequest), stun_test::kTid);
    auto out = b.finish();  // header only
    REQUIRE(out.ok());
    frames.push_back({FrameKind::kStun, {out->begin(), out->end()}});
  }
  return frames;
}

std::vector<std::uint8_t> concat(const std::vector<Expected>& frames) {
  std::vector<std::uint8_t> stream;
  for (const auto& f : frames)
    stream.insert(stream.end(), f.bytes.begin(), f.bytes.end());
  return stream;
}

/// Receives `stream` in chunks cut at `cuts` (ascending offsets), framing as a server would:
/// append each chunk to a buffer, take every complete frame from its front.
std::vector<Expected> receive(const std::vector<std::uint8_t>& stream,
                              const std::vector<std::size_t>& cuts) {
  std::vector<Expected> got;
  std::vector<std::uint8_t> buffered;
  std::size_t from = 0;
  auto deliver = [&](std::size_t to) {
    buffered.insert(buffered.end(), stream.begin() + static_cast<std::ptrdiff_t>(from),
                    stream.begin() + static_cast<std::ptrdiff_t>(to));
    from = to;
    for (;;) {
      auto frame = next_frame(buffered);
      if (!frame.ok()) {
        REQUIRE(frame.error() == ParseError::kIncomplete);
        return;
      }
      REQUIRE(frame->size <= buffered.size());
      got.push_back({frame->kind, {buffered.begin(), buffered.begin() + frame->size}});
      buffered.erase(buffered.begin(), buffered.begin() + frame->size);
    }
  };
  for (std::size_t cut : cuts)
    deliver(cut);
  deliver(stream.size());
  CHECK(buffered.empty());
  return got;
}

bool same_frames(const std::vector<Expected>& a, const std::vector<Expected>& b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].bytes != b[i].bytes)
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("framer: STUN frame length is 20 + the length field") {
  const auto wire = hex("0001 0008 2112a442 000000000000000000000000 000d0004 00000258");
  auto f = next_frame(wire);
  REQUIRE(f.ok());
  CHECK(f->kind == FrameKind::kStun);
  CHECK(f->size == wire.size());
}

TEST_CASE("framer: ChannelData frames are padded to 4 over streams (RFC 8656 §12.5)") {
  for (std::uint16_t n = 0; n <= 8; ++n) {
    CAPTURE(n);
    std::vector<std::uint8_t> wire(4 + 12, 0);
    write_channel_data_header(wire.data(), 0x4000, n);
    auto f = next_frame(wire);
    REQUIRE(f.ok());
    CHECK(f->kind == FrameKind::kChannelData);
    CHECK(f->size == 4 + pad4(n));
  }
}

TEST_CASE("framer: incomplete") {
  CHECK(next_frame({}).error() == ParseError::kIncomplete);
  const auto stun = hex("0001 0008 2112a442 000000000000000000000000 000d0004 00000258");
  for (std::size_t n = 1; n < stun.size(); ++n) {
    CHECK(next_frame(Bytes{stun}.first(n)).error() == ParseError::kIncomplete);
  }
  const auto cd = hex("4000 0005 0102030405 000000");
  for (std::size_t n = 1; n < cd.size(); ++n) {
    CAPTURE(n);
    CHECK(next_frame(Bytes{cd}.first(n)).error() == ParseError::kIncomplete);
  }
  // Over a stream the padding is part of the frame: 9 bytes of a 5-byte payload are not enough.
  CHECK(next_frame(hex("4000 0005 0102030405")).error() == ParseError::kIncomplete);
}

TEST_CASE("framer: not a frame") {
  // RFC 7983: only 0-3 (STUN) and 64-79 (ChannelData) may start a frame on a TURN stream.
  for (unsigned first = 0; first <= 0xFF; ++first) {
    std::vector<std::uint8_t> wire(64, 0);
    wire[0] = static_cast<std::uint8_t>(first);
    const bool ok = first <= 0x03 || (first >= 0x40 && first <= 0x4F);
    CHECK(next_frame(wire).ok() == ok);
    if (!ok)
      CHECK(next_frame(wire).error() == ParseError::kNotAFrame);
    if (!ok)
      CHECK(next_frame(Bytes{wire}.first(1)).error() == ParseError::kNotAFrame);
  }
  // A STUN length that is not a multiple of 4 cannot be framed (RFC 8489 §5).
  for (std::uint8_t length : {1, 2, 3, 5}) {
    std::vector<std::uint8_t> wire(64, 0);
    wire[3] = length;
    CHECK(next_frame(wire).error() == ParseError::kNotAFrame);
  }
}

TEST_CASE("framer: frame too large, reported before the bytes arrive") {
  const auto stun_header = hex("0001 0400 2112a442 000000000000000000000000");  // 20 + 1024
  CHECK(next_frame(stun_header, 1043).error() == ParseError::kFrameTooLarge);
  CHECK(next_frame(stun_header, 1044).error() == ParseError::kIncomplete);
  const auto cd_header = hex("4000 0401");  // 4 + 1025 + 3 padding
  CHECK(next_frame(cd_header, 1031).error() == ParseError::kFrameTooLarge);
  CHECK(next_frame(cd_header, 1032).error() == ParseError::kIncomplete);
}

TEST_CASE("framer: the largest frames fit the default cap") {
  std::vector<std::uint8_t> big(kMaxStreamFrame + 8, 0);
  store_u16(big.data() + 2, 0xFFFC);
  auto f = next_frame(big);
  REQUIRE(f.ok());
  CHECK(f->size == kMaxStreamFrame);

  write_channel_data_header(big.data(), 0x4000, 0xFFFF);
  f = next_frame(big);
  REQUIRE(f.ok());
  CHECK(f->size == 4 + 0x10000);  // 16-bit length plus padding, computed without wrapping
}

TEST_CASE("framer: a stream split at every byte boundary yields the same frames") {
  const auto frames = mixed_frames();
  const auto stream = concat(frames);
  CHECK(same_frames(receive(stream, {}), frames));
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    CAPTURE(cut);
    CHECK(same_frames(receive(stream, {cut}), frames));
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < stream.size(); ++i)
    every_byte.push_back(i);
  CHECK(same_frames(receive(stream, every_byte), frames));
}

TEST_CASE("framer: each frame cut from the stream parses as what it is") {
  const auto frames = mixed_frames();
  for (const auto& f : receive(concat(frames), {7, 30, 31, 100})) {
    if (f.kind == FrameKind::kStun) {
      CHECK(MessageView::parse(f.bytes).ok());
    } else {
      auto cd = ChannelDataView::parse(f.bytes);
      REQUIRE(cd.ok());
      CHECK(cd->payload.size() == cd->channel - 0x4000u);
    }
  }
}
