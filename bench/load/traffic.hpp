// The data phase: one sender thread paces (audio, video, hold) or fills windows (flat), one
// receiver thread takes the echoes with epoll + recvmmsg and measures RTT and loss.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "client.hpp"
#include "flat_window.hpp"
#include "histogram.hpp"
#include "keepalive.hpp"
#include "options.hpp"
#include "packet.hpp"
#include "payload.hpp"
#include "wakeup.hpp"

namespace load {

/// What the two threads share. Everything here is either immutable once they start, atomic, or
/// owned by one of them.
struct TrafficShared {
  TrafficShared(const Options& o, std::vector<Client>& c, const Window& w,
                std::vector<std::uint32_t> ready, std::vector<PacketTemplate> t, bool keepalives,
                std::uint64_t start_ns)
      : options(o),
        clients(c),
        active(std::move(ready)),
        templates(std::move(t)),
        window(w),
        keepalive(c, active, keepalives, start_ns) {}

  const Options& options;
  std::vector<Client>& clients;
  std::vector<std::uint32_t> active;      ///< indices of the clients whose setup succeeded
  std::vector<PacketTemplate> templates;  ///< by client index
  const Window& window;
  std::optional<FlatWindow> flat;  ///< flat shape only
  Wakeup wakeup;
  Keepalive keepalive;
  std::atomic<bool> stop{false};  ///< the receiver stops; the sender too, if still running
};

struct SenderStats {
  std::uint64_t sent_in_window = 0;
  std::uint64_t sent_total = 0;
  std::uint64_t dropped = 0;  ///< packets the kernel refused (buffer full, refused)
};

struct ReceiverStats {
  std::uint64_t received_in_window = 0;
  std::uint64_t received_total = 0;
  std::uint64_t stray = 0;  ///< datagrams that were no echo of this client's packets
  std::uint64_t dead_connections = 0;
  Histogram rtt;
};

void run_sender(TrafficShared& shared, SenderStats& stats);
void run_receiver(TrafficShared& shared, ReceiverStats& stats);

class Traffic {
 public:
  /// `peer` is where Send indications go (the echo peer).
  Traffic(const Options& options, std::vector<Client>& clients, const Window& window,
          const stun::SocketAddress& peer);
  ~Traffic();
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;

  void start();
  /// The sender stops by itself when the window closes; this waits for it.
  void join_sender();
  void stop_receiver();

  const SenderStats& sender() const { return sender_stats_; }
  const ReceiverStats& receiver() const { return *receiver_stats_; }
  std::uint64_t keepalive_failures() const { return shared_.keepalive.failures(); }

 private:
  TrafficShared shared_;
  SenderStats sender_stats_;
  std::unique_ptr<ReceiverStats> receiver_stats_;
  std::thread sender_;
  std::thread receiver_;
};

}  // namespace load
