// The one entry for everything a client sends, whatever carried it: a UDP datagram, a frame cut
// from a TCP/TLS stream, or the plaintext of a DTLS record. Classified by its first byte with
// stun::classify (RFC 7983 §7, with RFC 5766's wider channel range when configured):
// ChannelData goes to the relay path, STUN to the request handlers or the Send indication path,
// and everything else is dropped and counted. DTLS records themselves are told apart before
// this, on the UDP listeners, by the same classification.
#pragma once

#include "alloc/allocation.hpp"
#include "handlers/turn_context.hpp"
#include "stun/bytes.hpp"

namespace turn {

void on_client_datagram(TurnContext& ctx, const ClientKey& key, stun::Bytes data);

}  // namespace turn
