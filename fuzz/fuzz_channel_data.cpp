// libFuzzer target: ChannelDataView::parse, checked against the demultiplexer and the stream
// framer, which must agree on what a ChannelData message is (RFC 8656 §12, RFC 7983).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "stun/stun.hpp"

namespace {

void require(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stun;
  const Bytes input{data, size};
  auto cd = ChannelDataView::parse(input);
  if (!cd) {
    require(cd.error() == ParseError::kShortChannelData ||
            cd.error() == ParseError::kChannelOutOfRange ||
            cd.error() == ParseError::kChannelDataBeyondBuffer);
    return 0;
  }
  require(size >= kChannelDataHeaderSize);
  require(is_valid_channel(cd->channel) && cd->channel == load_u16(data));
  require(classify(data[0]) == PacketKind::kChannelData);
  require(cd->payload.size() == load_u16(data + 2));
  require(cd->payload.data() == data + kChannelDataHeaderSize);
  require(kChannelDataHeaderSize + cd->payload.size() <= size);

  // Over a stream the same bytes are one frame once the padding has arrived (RFC 8656 §12.5).
  auto frame = next_frame(input);
  const std::size_t padded = channel_data_size(cd->payload.size(), /*stream=*/true);
  if (size >= padded) {
    require(frame.ok() && frame->kind == FrameKind::kChannelData && frame->size == padded);
  } else {
    require(frame.error() == ParseError::kIncomplete);
  }
  return 0;
}
