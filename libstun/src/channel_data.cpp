#include "stun/channel_data.hpp"

namespace stun {

Result<ChannelDataView> ChannelDataView::parse(Bytes buffer, std::uint16_t max_channel) {
  if (buffer.size() < kChannelDataHeaderSize)
    return ParseError::kShortChannelData;
  const std::uint16_t channel = load_u16(buffer.data());
  // RFC 8656 §12: only 0x4000-0x4FFF are channel numbers; anything else is not ChannelData.
  if (!is_valid_channel(channel, max_channel))
    return ParseError::kChannelOutOfRange;
  const std::size_t length = load_u16(buffer.data() + 2);
  if (length > buffer.size() - kChannelDataHeaderSize)
    return ParseError::kChannelDataBeyondBuffer;
  return ChannelDataView{channel, buffer.subspan(kChannelDataHeaderSize, length)};
}

}  // namespace stun
