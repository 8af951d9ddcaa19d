// libFuzzer target: the stream framer fed in fuzz-chosen chunks. Input layout:
//   byte 0      the frame cap: kMaxStreamFrame below 0x80, else (byte - 0x7F) * 32
//   bytes 1-4   chunk sizes, used in turn, each byte + 1
//   the rest    the stream
// Invariants: frames never exceed the cap or the buffered bytes, the frames consumed sum to no
// more than the input, each frame parses as its kind, and the frames and the final status are
// the same however the stream was chunked (compared with framing it in one piece).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stun/stun.hpp"

namespace {

using namespace stun;

void require(bool condition) {
  if (!condition)
    std::abort();
}

struct Cut {
  FrameKind kind;
  std::size_t size;
  bool operator==(const Cut&) const = default;
};

struct Outcome {
  std::vector<Cut> frames;
  ParseError stop = ParseError::kIncomplete;  // why framing stopped at the end of the input
};

void check_frame(Bytes frame, FrameKind kind) {
  if (kind == FrameKind::kChannelData) {
    auto cd = ChannelDataView::parse(frame);
    require(cd.ok());
    require(channel_data_size(cd->payload.size(), /*stream=*/true) == frame.size());
    return;
  }
  // The framer checked the header; only attribute-level errors remain possible.
  auto m = MessageView::parse(frame);
  require(m.ok() || m.error() == ParseError::kAttributeOverrun ||
          m.error() == ParseError::kTooManyAttributes);
  if (m)
    require(m->size() == frame.size());
}

/// Frames `buffered` from the front, as a server does after each read. Returns false once the
/// stream is unusable (kNotAFrame or kFrameTooLarge: the connection would be closed).
bool drain(std::vector<std::uint8_t>& buffered, std::size_t cap, Outcome& out) {
  std::size_t at = 0;
  for (;;) {
    const Bytes rest = Bytes{buffered}.subspan(at);
    auto f = next_frame(rest, cap);
    if (!f) {
      out.stop = f.error();
      buffered.erase(buffered.begin(), buffered.begin() + static_cast<std::ptrdiff_t>(at));
      return f.error() == ParseError::kIncomplete;
    }
    require(f->size <= cap && f->size <= rest.size());
    require(f->size >= (f->kind == FrameKind::kStun ? kHeaderSize : kChannelDataHeaderSize));
    check_frame(rest.first(f->size), f->kind);
    out.frames.push_back({f->kind, f->size});
    at += f->size;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5)
    return 0;
  const std::size_t cap = data[0] < 0x80 ? kMaxStreamFrame : (data[0] - 0x7Fu) * 32;
  const std::array<std::size_t, 4> chunks = {data[1] + 1u, data[2] + 1u, data[3] + 1u,
                                             data[4] + 1u};
  const Bytes stream{data + 5, size - 5};

  Outcome whole;
  std::vector<std::uint8_t> all(stream.begin(), stream.end());
  drain(all, cap, whole);

  Outcome chunked;
  std::vector<std::uint8_t> buffered;
  std::size_t fed = 0;
  for (std::size_t i = 0; fed < stream.size(); ++i) {
    const std::size_t n = std::min(chunks[i % chunks.size()], stream.size() - fed);
    buffered.insert(buffered.end(), stream.begin() + static_cast<std::ptrdiff_t>(fed),
                    stream.begin() + static_cast<std::ptrdiff_t>(fed + n));
    fed += n;
    if (!drain(buffered, cap, chunked))
      break;
  }

  std::size_t consumed = 0;
  for (const auto& c : chunked.frames)
    consumed += c.size;
  require(consumed <= stream.size());
  require(chunked.frames == whole.frames);
  require(chunked.stop == whole.stop);
  return 0;
}
