// One forwarder thread: its own epoll loop, its own SO_REUSEPORT listener on the shared address,
// and the clients the kernel's reuseport hash sends to that listener. It does what a TURN relay
// does on its data path and nothing else: one relay socket per client, ChannelData header off
// towards the peer, header on towards the client. No authentication, no permissions, no
// channels, and no timer but a coarse idle sweep: the floor a TURN server's relay path can be
// compared against.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "send_queue.hpp"
#include "stun/address.hpp"

namespace floorfwd {

struct Config {
  stun::SocketAddress listen;
  stun::SocketAddress peer;
  stun::SocketAddress relay_ip;
  std::size_t threads = 1;
  std::size_t max_clients = 20000;
  /// UDP GSO for runs to one destination. Off by default: on loopback the receiving socket
  /// segments in software and it costs more than plain sendmmsg (measured in bench/README.md).
  bool gso = false;
};

struct ForwarderStats {
  std::uint64_t to_peer = 0;    ///< client -> peer datagrams queued
  std::uint64_t to_client = 0;  ///< peer -> client datagrams queued
  std::uint64_t rejected = 0;   ///< not ChannelData, truncated, unknown source, over limit
  std::uint64_t clients = 0;    ///< clients seen (relay sockets opened)
  std::uint64_t expired = 0;    ///< idle clients whose relay socket was closed
  std::uint64_t recvmmsg_calls = 0;
  SendStats send;
};

class Forwarder {
 public:
  /// `listener` is this thread's bound socket; the forwarder owns and closes it.
  Forwarder(const Config& config, int listener, std::atomic<std::size_t>& total_clients,
            const std::atomic<bool>& stop);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  void run();
  ForwarderStats stats() const;

 private:
  /// Receive slots: a header's worth of headroom, then the datagram. Slots are handed out in
  /// order during one wakeup and all become free again after the flush.
  static constexpr std::size_t kHeadroom = 4;
  static constexpr std::size_t kSlotSize = 4096;
  static constexpr std::size_t kSlots = 1024;
  static constexpr std::size_t kBatch = 64;  // datagrams per recvmmsg

  /// A client that has sent nothing for this long loses its relay socket, so that a floor kept
  /// running across many benchmark runs does not fill up with the clients of finished ones.
  static constexpr std::uint64_t kIdleNs = 60'000'000'000;
  static constexpr std::uint64_t kSweepEveryNs = 5'000'000'000;

  struct Client {
    sockaddr_storage addr;
    socklen_t addr_len;
    int relay_fd;  ///< -1: a free entry
    std::uint64_t last_seen_ns;
  };

  /// recvmmsg into the next kBatch free slots (flushing first when too few are left).
  int receive(int fd);
  void on_listener();
  void on_relay(int fd);
  /// The client's index, opening its relay socket on first sight; -1 when refused.
  int client_for(std::size_t slot);
  int open_relay();
  /// Closes the relay sockets of idle clients (between two wakeups: nothing queued refers to
  /// them then).
  void sweep(std::uint64_t now);

  Config config_;
  int listener_;
  int epoll_;
  std::atomic<std::size_t>& total_clients_;
  const std::atomic<bool>& stop_;
  sockaddr_storage peer_ss_{};
  socklen_t peer_len_ = 0;

  std::vector<std::uint8_t> slots_;
  std::vector<sockaddr_storage> from_;
  std::vector<iovec> iovs_;
  std::vector<mmsghdr> msgs_;
  std::size_t next_slot_ = 0;

  std::unordered_map<stun::SocketAddress, std::uint32_t, stun::SocketAddressHash> by_address_;
  std::deque<Client> clients_;       // a deque: queued datagrams point at addresses in it
  std::vector<std::uint32_t> free_;  // entries of clients_ to reuse
  std::uint64_t now_ns_ = 0;         // the clock, read once per wakeup
  std::uint64_t next_sweep_ns_ = 0;
  std::vector<std::int32_t> client_of_fd_;  // relay fd -> client index, -1 for none
  SendQueue queue_;
  ForwarderStats stats_;
};

}  // namespace floorfwd
