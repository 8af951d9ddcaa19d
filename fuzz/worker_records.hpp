// The input language of fuzz_worker: a sequence of records, each one action of a client, a
// peer or a TCP connection against one worker. Shared with make_corpus, which writes seeds in it.
//
//   record := op:u8 length:u16be bytes[length]
//   op & 0x0f: the action (below); op >> 4: which source, connection, peer or relay (mod count)
//
// A truncated last record is dropped. Unknown actions just run the loop once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fuzz_worker {

enum class Action : std::uint8_t {
  kDatagram = 0,        ///< the bytes as one UDP datagram from client source N
  kSignedDatagram = 1,  ///< a STUN request from source N, given valid long-term credentials
  kStreamBytes = 2,     ///< the bytes written on TCP connection N (opened on first use)
  kSignedStream = 3,    ///< a STUN request signed as above, written on TCP connection N
  kPeerDatagram = 4,    ///< the bytes from UDP peer N to relay address M (M: the first byte)
  kCloseStream = 5,     ///< TCP connection N is closed by the client
  kWrongPassword = 6,   ///< as kSignedDatagram, but with a wrong password (an auth failure)
  kPeerConnect = 7,     ///< a TCP connection from peer N to relay address M (the first byte)
};

inline constexpr std::size_t kSources = 4;      ///< 127.0.0.1 - 127.0.0.4
inline constexpr std::size_t kConnections = 2;  ///< TCP clients from 127.0.0.1
inline constexpr std::size_t kPeers = 2;        ///< UDP peers on 127.0.0.5 and 127.0.0.6
/// The peers' ports, fixed so seeds can name them in XOR-PEER-ADDRESS (the relay range of the
/// harness is 64000-64199).
inline constexpr std::uint16_t kPeerPorts[kPeers] = {64250, 64251};

struct Record {
  Action action;
  std::size_t index;
  std::span<const std::uint8_t> bytes;
};

/// Splits `input` into records.
inline std::vector<Record> parse_records(std::span<const std::uint8_t> input) {
  std::vector<Record> out;
  std::size_t at = 0;
  while (at + 3 <= input.size()) {
    const std::uint8_t op = input[at];
    const std::size_t length = (std::size_t{input[at + 1]} << 8) | input[at + 2];
    at += 3;
    if (at + length > input.size())
      break;
    out.push_back(
        {static_cast<Action>(op & 0x0f), std::size_t{op} >> 4, input.subspan(at, length)});
    at += length;
  }
  return out;
}

/// Appends one record (for make_corpus).
inline void add_record(std::vector<std::uint8_t>& out, Action action, std::size_t index,
                       std::span<const std::uint8_t> bytes) {
  out.push_back(static_cast<std::uint8_t>((index << 4) | static_cast<std::uint8_t>(action)));
  out.push_back(static_cast<std::uint8_t>(bytes.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(bytes.size()));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace fuzz_worker
