#include "stun/errors.hpp"

namespace stun {

std::string_view to_string(ParseError e) {
  switch (e) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kShortHeader:
      return "short header";
    case ParseError::kNotStun:
      return "not a STUN message";
    case ParseError::kLengthNotMultipleOf4:
      return "length not a multiple of 4";
    case ParseError::kLengthBeyondDatagram:
      return "length beyond datagram";
    case ParseError::kAttributeOverrun:
      return "attribute runs past the end";
    case ParseError::kTooManyAttributes:
      return "too many attributes";
    case ParseError::kBadAddressFamily:
      return "bad address family";
    case ParseError::kBadAddressLength:
      return "bad address length";
    case ParseError::kBadAttributeLength:
      return "bad attribute length";
    case ParseError::kBadAttributeValue:
      return "bad attribute value";
    case ParseError::kMissing:
      return "attribute missing";
    case ParseError::kShortChannelData:
      return "short ChannelData";
    case ParseError::kChannelOutOfRange:
      return "channel number out of range";
    case ParseError::kChannelDataBeyondBuffer:
      return "ChannelData length beyond buffer";
    case ParseError::kIncomplete:
      return "incomplete frame";
    case ParseError::kFrameTooLarge:
      return "frame too large";
    case ParseError::kNotAFrame:
      return "not a STUN or ChannelData frame";
    case ParseError::kBufferTooSmall:
      return "buffer too small";
    case ParseError::kAttributeOrder:
      return "attribute out of order";
  }
  return "unknown";
}

}  // namespace stun
