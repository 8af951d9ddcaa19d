// Command line of turnd_load: what to run against which server, parsed once into plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "stun/address.hpp"

namespace load {

enum class Transport : std::uint8_t { kUdp, kTcp };
/// kDirect: no relay at all, plain UDP payloads from each client straight to the echo peer and
/// back; the baseline that relay overheads are measured against (bench/compare.py).
enum class Mode : std::uint8_t { kChannel, kSend, kFloor, kDirect, kAlloc, kHold };
enum class Shape : std::uint8_t { kAudio, kVideo, kFlat };

struct Options {
  stun::SocketAddress server;
  Transport transport = Transport::kUdp;
  std::string user = "alice";
  std::string password = "secret";
  std::size_t clients = 50;
  Mode mode = Mode::kChannel;
  Shape shape = Shape::kAudio;
  std::size_t size = 200;                   ///< payload bytes per packet
  std::optional<double> rate;               ///< audio: total packets/s over all clients
  std::size_t burst = 8;                    ///< video: packets per burst
  std::size_t window = 16;                  ///< flat: packets outstanding per client
  std::size_t inflight = 32;                ///< alloc: concurrent Allocate/Refresh loops
  stun::SocketAddress bind;                 ///< clients' source IP (empty: the server's loopback)
  stun::SocketAddress peer_bind;            ///< internal echo peer's address
  std::optional<stun::SocketAddress> peer;  ///< external echo peer (no internal one)
  double duration_s = 10;
  double warmup_s = 1;
};

/// Whether the mode talks TURN to a server (floor and direct send data from the start).
inline bool signalling(Mode m) {
  return m != Mode::kFloor && m != Mode::kDirect;
}

/// Parses argv; on --help or a bad option prints the message and exits (CLI11's convention).
Options parse_options(int argc, char** argv);

const char* to_string(Transport t);
const char* to_string(Mode m);
const char* to_string(Shape s);

}  // namespace load
