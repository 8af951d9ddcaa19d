// The batched relay send (over real loopback sockets): what goes in comes out, in order, intact,
// one datagram per push, with bursts to one destination sent as one UDP GSO call.
#include "net/tx_queue.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "support/turn_client.hpp"

namespace {

using turntest::UdpSocket;

std::vector<std::uint8_t> payload(std::size_t size, std::uint8_t tag) {
  std::vector<std::uint8_t> p(size);
  for (std::size_t i = 0; i < size; ++i)
    p[i] = static_cast<std::uint8_t>(tag + i);
  return p;
}

/// Receives `n` datagrams (or fewer on timeout) at `s`.
std::vector<turntest::Datagram> receive_all(const UdpSocket& s, std::size_t n) {
  std::vector<turntest::Datagram> got;
  while (got.size() < n) {
    auto d = s.receive();
    if (!d)
      break;
    got.push_back(std::move(*d));
  }
  return got;
}

}  // namespace

TEST_CASE("tx queue: a burst to one destination is one GSO send, split back into datagrams") {
  UdpSocket sender, receiver;
  turn::TxQueue q;
  std::vector<std::vector<std::uint8_t>> sent;
  for (int i = 0; i < 8; ++i)
    sent.push_back(payload(1200, static_cast<std::uint8_t>(i)));
  sent.push_back(payload(700, 99));  // a shorter last segment is allowed
  for (const auto& p : sent)
    q.push(sender.fd(), receiver.local(), p.data(), p.size());
  CHECK(q.size() == sent.size());
  q.flush();
  CHECK(q.empty());

  const auto got = receive_all(receiver, sent.size());
  REQUIRE(got.size() == sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i].data == sent[i]);
    CHECK(got[i].from == sender.local());
  }
  const auto& c = q.counters();
  CHECK(c.datagrams == sent.size());
  CHECK(c.errors == 0);
  if (q.gso_enabled()) {
    CHECK(c.gso_batches == 1);
    CHECK(c.calls == 1);
  }
}

TEST_CASE("tx queue: sizes, destinations and sockets that differ split the batch correctly") {
  UdpSocket a, b, r1, r2;
  turn::TxQueue q;
  struct Want {
    const UdpSocket* from;
    const UdpSocket* to;
    std::vector<std::uint8_t> bytes;
  };
  const std::vector<Want> plan = {
      {&a, &r1, payload(300, 1)}, {&a, &r1, payload(300, 2)},  // GSO run of two
      {&a, &r1, payload(400, 3)},                              // bigger: starts a new run
      {&a, &r2, payload(400, 4)},                              // other destination
      {&b, &r1, payload(100, 5)}, {&b, &r1, payload(100, 6)},  // other socket
      {&a, &r2, payload(50, 7)},
  };
  for (const auto& w : plan)
    q.push(w.from->fd(), w.to->local(), w.bytes.data(), w.bytes.size());
  q.flush();

  std::vector<turntest::Datagram> at_r1 = receive_all(r1, 5);
  std::vector<turntest::Datagram> at_r2 = receive_all(r2, 2);
  REQUIRE(at_r1.size() == 5);
  REQUIRE(at_r2.size() == 2);
  // Per sender and destination the order is kept.
  CHECK(at_r1[0].data == plan[0].bytes);
  CHECK(at_r1[1].data == plan[1].bytes);
  CHECK(at_r1[2].data == plan[2].bytes);
  CHECK(at_r1[3].data == plan[4].bytes);
  CHECK(at_r1[3].from == b.local());
  CHECK(at_r1[4].data == plan[5].bytes);
  CHECK(at_r2[0].data == plan[3].bytes);
  CHECK(at_r2[1].data == plan[6].bytes);
  CHECK(at_r2[1].from == a.local());
  CHECK(q.counters().datagrams == plan.size());
  CHECK(q.counters().errors == 0);
  // Two sockets in a row ([a a a a] [b b] [a]) need one sendmmsg each.
  CHECK(q.counters().calls == 3);
}

TEST_CASE("tx queue: with GSO off every datagram is its own message, still batched") {
  UdpSocket sender, receiver;
  turn::TxQueue q;
  q.set_gso_enabled(false);
  const auto p = payload(200, 7);
  for (int i = 0; i < 20; ++i)
    q.push(sender.fd(), receiver.local(), p.data(), p.size());
  q.flush();
  CHECK(receive_all(receiver, 20).size() == 20);
  CHECK(q.counters().gso_batches == 0);
  CHECK(q.counters().calls == 1);
}

TEST_CASE("tx queue: more pushes than its capacity lose nothing") {
  UdpSocket sender, receiver;
  turn::TxQueue q;
  const auto p = payload(64, 3);
  const std::size_t n = turn::TxQueue::kCapacity + 10;
  for (std::size_t i = 0; i < n; ++i)
    q.push(sender.fd(), receiver.local(), p.data(), p.size());
  q.flush();
  CHECK(receive_all(receiver, n).size() == n);
  CHECK(q.counters().datagrams == n);
}

TEST_CASE("tx queue: a datagram the kernel refuses is counted, the rest still go") {
  UdpSocket sender, receiver;
  turn::TxQueue q;
  const auto p = payload(64, 3);
  std::vector<std::uint8_t> too_big(70000);  // over the UDP maximum: EMSGSIZE
  q.push(sender.fd(), receiver.local(), p.data(), p.size());
  q.push(sender.fd(), receiver.local(), too_big.data(), too_big.size());
  q.push(sender.fd(), receiver.local(), p.data(), p.size());
  q.flush();
  CHECK(receive_all(receiver, 2).size() == 2);
  CHECK(q.counters().errors == 1);
  CHECK(q.counters().datagrams == 2);
}
