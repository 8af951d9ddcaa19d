// One turnd worker with everything a request needs (shared state, settings, a UDP and a TCP
// listener on 127.0.0.1), driven on the calling thread, plus the clients and peers that talk to
// it over real loopback sockets. Built fresh for every fuzz input so inputs do not influence
// each other, and torn down completely, so LeakSanitizer sees what an input leaked.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <vector>

#include "state/settings.hpp"
#include "state/shared_state.hpp"
#include "stun/address.hpp"
#include "worker/worker.hpp"
#include "worker_records.hpp"

namespace fuzz_worker {

class Harness {
 public:
  Harness();
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  void apply(const Record& r);

 private:
  /// Runs the worker's loop until it has nothing left to do (bounded), reading what it sent
  /// back: relayed addresses in Allocate answers are remembered for kPeerDatagram.
  void settle();
  void drain_replies(int fd, bool stream);
  /// `request` with valid USERNAME, REALM, NONCE (issued to `from`) and MESSAGE-INTEGRITY, or
  /// unchanged when it is no STUN request.
  std::vector<std::uint8_t> signed_request(std::span<const std::uint8_t> request,
                                           const stun::SocketAddress& from,
                                           const char* password) const;
  void remember_relay(stun::Bytes message);
  int stream(std::size_t index);

  turn::Config config_;
  std::unique_ptr<turn::SharedState> shared_;
  turn::SettingsPtr settings_;
  std::unique_ptr<turn::Worker> worker_;
  stun::SocketAddress udp_listener_;
  stun::SocketAddress tcp_listener_;
  std::array<int, kSources> sources_{};
  std::array<stun::SocketAddress, kSources> source_addresses_{};
  std::array<int, kConnections> streams_{};
  std::array<int, kPeers> peers_{};
  std::vector<stun::SocketAddress> relays_;
  std::vector<int> peer_connections_;  ///< kPeerConnect's sockets, closed with the harness
};

}  // namespace fuzz_worker
