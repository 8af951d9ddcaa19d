// The per-packet relay path (RFC 8656 §10-§12). No allocation, no lock, no copy of the payload:
// it stays in the receive buffer, headers are written in front of it, and the datagram is queued
// for the worker's batched send.
#pragma once

#include "alloc/allocation.hpp"
#include "handlers/turn_context.hpp"
#include "stun/bytes.hpp"
#include "stun/message_view.hpp"

namespace turn {

/// ChannelData from a client: to the channel's peer (RFC 8656 §12.6).
void on_client_channel_data(TurnContext& ctx, const ClientKey& key, stun::Bytes data);
/// Send indication from a client: DATA to XOR-PEER-ADDRESS (RFC 8656 §10.2).
void on_send_indication(TurnContext& ctx, const ClientKey& key, const stun::MessageView& msg);
/// A datagram from a peer to a relay address: ChannelData if a channel is bound to the peer,
/// else a Data indication if the peer's IP has a permission, else dropped (RFC 8656 §10.3, §12.7).
/// `data` lies in a receive slot: RecvBatch::kHeadroom bytes in front of it and kTailroom after
/// it may be written.
void on_peer_datagram(TurnContext& ctx, Allocation& allocation, const stun::SocketAddress& peer,
                      stun::MutableBytes data);

}  // namespace turn
