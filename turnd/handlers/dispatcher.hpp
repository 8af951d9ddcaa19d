// Entry point for every datagram a client sends to a listener: ChannelData goes to the relay
// path, STUN requests to the method handlers, everything else is dropped and counted.
#pragma once

#include "stun/bytes.hpp"
#include "worker/worker.hpp"

namespace turn {

void on_client_datagram(Worker& worker, const ClientKey& key, stun::Bytes data);

}  // namespace turn
