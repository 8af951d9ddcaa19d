#include "packet.hpp"

#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/channel_data.hpp"

namespace load {

PacketTemplate make_template(Mode mode, bool stream, std::uint16_t channel,
                             const stun::SocketAddress& peer, std::size_t payload_size) {
  PacketTemplate t;
  if (mode == Mode::kDirect) {
    t.bytes.assign(payload_size, 0);  // what a relay delivers to the peer: the payload alone
    return t;
  }
  if (mode != Mode::kSend) {
    t.bytes.assign(stun::channel_data_size(payload_size, stream), 0);
    stun::write_channel_data_header(t.bytes.data(), channel,
                                    static_cast<std::uint16_t>(payload_size));
    t.payload_offset = stun::kChannelDataHeaderSize;
    return t;
  }
  // One transaction id per client is enough: servers do not track indications (RFC 8489 §6.3.2).
  stun::TransactionId tid{};
  tid[0] = static_cast<std::uint8_t>(channel);
  tid[1] = static_cast<std::uint8_t>(channel >> 8);
  std::vector<std::uint8_t> zero(payload_size, 0);
  t.bytes.resize(payload_size + 128);
  stun::MessageBuilder b(t.bytes, stun::pack_type(stun::Method::kSend, stun::Class::kIndication),
                         tid);
  b.add(stun::attr::kXorPeerAddress, peer);
  b.add(stun::attr::kData, stun::Bytes(zero));
  auto out = b.finish();
  t.bytes.resize(out ? out->size() : 0);
  // DATA is the last attribute: its value ends where the message ends, before the padding.
  t.payload_offset = t.bytes.size() - stun::pad4(payload_size);
  return t;
}

}  // namespace load
