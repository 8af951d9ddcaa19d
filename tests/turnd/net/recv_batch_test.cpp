// Receive slots over real loopback sockets: every batch lands in fresh slots until released, and
// each datagram keeps its own bytes, length and source while later batches arrive.
#include "net/recv_batch.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "support/test_server.hpp"

namespace {

using turntest::UdpSocket;

std::vector<std::uint8_t> numbered(std::size_t size, std::uint8_t n) {
  return std::vector<std::uint8_t>(size, n);
}

}  // namespace

TEST_CASE("recv batch: batches from several sockets stay intact until release_all") {
  auto batch = std::make_unique<turn::RecvBatch>();
  UdpSocket a, b, receiver;
  struct Seen {
    stun::MutableBytes data;
    stun::SocketAddress from;
    std::size_t size;
    std::uint8_t tag;
  };
  std::vector<Seen> seen;
  std::uint8_t tag = 0;
  // Three rounds of differently sized datagrams from two senders, read one batch per round.
  for (int round = 0; round < 3; ++round) {
    const std::size_t count = round == 1 ? turn::RecvBatch::kMessages : 5;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t size = 100 + 37 * i + round;
      ++tag;
      (i % 2 ? a : b).send_to(receiver.local(), numbered(size, tag));
      seen.push_back({{}, (i % 2 ? a : b).local(), size, tag});
    }
    REQUIRE(batch->has_room());
    int got = 0;
    while (got < static_cast<int>(count)) {
      int n = 0;
      REQUIRE(turntest::eventually([&] { return (n = batch->receive(receiver.fd())) > 0; }));
      for (int i = 0; i < n; ++i) {
        Seen& s = seen[seen.size() - count + got + i];
        CHECK_FALSE(batch->truncated(i));
        CHECK(batch->source(i) == s.from);
        s.data = batch->data(i);
      }
      got += n;
    }
  }
  // Nothing was overwritten by the later batches; headroom and tailroom are writable around each.
  for (const auto& s : seen) {
    CAPTURE(s.tag);
    REQUIRE(s.data.size() == s.size);
    CHECK(std::vector<std::uint8_t>(s.data.begin(), s.data.end()) == numbered(s.size, s.tag));
    s.data.data()[-static_cast<std::ptrdiff_t>(turn::RecvBatch::kHeadroom)] = 0xEE;
    s.data.data()[s.size + turn::RecvBatch::kTailroom - 1] = 0xEE;
  }
  for (const auto& s : seen)
    CHECK(std::vector<std::uint8_t>(s.data.begin(), s.data.end()) == numbered(s.size, s.tag));

  // Once the pool is used up, receive() leaves datagrams in the socket until release_all().
  while (batch->has_room()) {
    a.send_to(receiver.local(), numbered(10, 1));
    REQUIRE(turntest::eventually([&] { return batch->receive(receiver.fd()) > 0; }));
  }
  a.send_to(receiver.local(), numbered(10, 2));
  CHECK(batch->receive(receiver.fd()) == 0);
  batch->release_all();
  CHECK(batch->has_room());
  REQUIRE(turntest::eventually([&] { return batch->receive(receiver.fd()) == 1; }));
  CHECK(batch->data(0)[0] == 2);
}
