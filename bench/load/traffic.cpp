#include "traffic.hpp"

#include <pthread.h>

#include "clock.hpp"

namespace load {

namespace {

std::vector<std::uint32_t> ready_clients(const std::vector<Client>& clients) {
  std::vector<std::uint32_t> out;
  for (const Client& c : clients) {
    if (c.ready)
      out.push_back(c.index);
  }
  return out;
}

std::vector<PacketTemplate> templates_for(const Options& o, const std::vector<Client>& clients,
                                          const stun::SocketAddress& peer) {
  std::vector<PacketTemplate> out;
  out.reserve(clients.size());
  for (const Client& c : clients) {
    // The floor forwarder knows no channels: every client uses 0x4000 there.
    const std::uint16_t channel = o.mode == Mode::kFloor ? stun::kMinChannel : c.session.channel();
    out.push_back(make_template(o.mode, o.transport == Transport::kTcp, channel, peer, o.size));
  }
  return out;
}

}  // namespace

Traffic::Traffic(const Options& options, std::vector<Client>& clients, const Window& window,
                 const stun::SocketAddress& peer)
    : shared_(options, clients, window, ready_clients(clients),
              templates_for(options, clients, peer), signalling(options.mode), now_ns()),
      receiver_stats_(std::make_unique<ReceiverStats>()) {
  if (options.shape == Shape::kFlat && options.mode != Mode::kHold)
    shared_.flat.emplace(clients.size(), options.window);
}

Traffic::~Traffic() {
  shared_.stop.store(true);
  if (sender_.joinable())
    sender_.join();
  if (receiver_.joinable())
    receiver_.join();
}

void Traffic::start() {
  // Named, so that top -H / ps -L show which thread of the generator is the bottleneck.
  receiver_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "load-receiver");
    run_receiver(shared_, *receiver_stats_);
  });
  sender_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "load-sender");
    run_sender(shared_, sender_stats_);
  });
}

void Traffic::join_sender() {
  if (sender_.joinable())
    sender_.join();
}

void Traffic::stop_receiver() {
  shared_.stop.store(true);
  if (receiver_.joinable())
    receiver_.join();
}

}  // namespace load
