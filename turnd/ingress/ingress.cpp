#include "ingress/ingress.hpp"

#include "handlers/dispatcher.hpp"
#include "relay/relay_path.hpp"
#include "stun/demux.hpp"
#include "stun/integrity.hpp"

namespace turn {

void on_client_datagram(TurnContext& ctx, const ClientKey& key, stun::Bytes data) {
  WorkerStats& stats = ctx.stats();
  // The built-in ban: a banned source gets no answer at all, on any transport.
  if (ctx.source_banned(key.client))
    return;
  if (data.empty()) {
    WorkerStats::add(stats.malformed_packets);
    return;
  }
  switch (stun::classify(data[0], ctx.config().max_channel())) {
    case stun::PacketKind::kChannelData:
      on_client_channel_data(ctx, key, data);
      return;
    case stun::PacketKind::kStun:
      break;
    default:
      WorkerStats::add(stats.unknown_packets);
      return;
  }
  auto msg = stun::MessageView::parse(data);
  // RFC 8489 §7.3: a FINGERPRINT that does not match means "not STUN": drop silently.
  if (!msg || (msg->fingerprint_offset() && !stun::verify_fingerprint(*msg))) {
    WorkerStats::add(stats.malformed_packets);
    return;
  }
  switch (msg->message_class()) {
    case stun::Class::kRequest:
      handle_request(ctx, key, *msg);
      return;
    case stun::Class::kIndication:
      // Send is the only indication a client sends that needs work; Binding indications are
      // keepalives (RFC 8489 §6.3.2).
      if (msg->method() == stun::Method::kSend)
        on_send_indication(ctx, key, *msg);
      return;
    default:
      WorkerStats::add(stats.malformed_packets);  // responses are never sent to a server
      return;
  }
}

}  // namespace turn
