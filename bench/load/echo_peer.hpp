// The internal echo peer: a UDP socket that sends every datagram straight back to where it came
// from, in batches (recvmmsg, then one sendmmsg for the whole batch). It stands in for the remote
// party of a call, so its address is what ChannelBind and CreatePermission name.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "payload.hpp"
#include "stun/address.hpp"

namespace load {

class EchoPeer {
 public:
  EchoPeer() = default;
  ~EchoPeer() { stop(); }
  EchoPeer(const EchoPeer&) = delete;
  EchoPeer& operator=(const EchoPeer&) = delete;

  /// Binds the socket; false (with `error`) when the address is taken or invalid.
  bool open(const stun::SocketAddress& bind_to, std::string& error);
  const stun::SocketAddress& address() const { return address_; }

  void start(const Window& window);
  void stop();
  /// Datagrams received whose stamp lies in the measured window.
  std::uint64_t received_in_window() const { return received_.load(std::memory_order_relaxed); }

 private:
  void run(const Window& window);

  int fd_ = -1;
  stun::SocketAddress address_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> received_{0};
};

}  // namespace load
