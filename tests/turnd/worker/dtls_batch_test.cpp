// A DTLS record in the middle of a receive batch (issue 12, defect 4): relayed payloads queued
// from the datagrams after it must still be theirs when the batch is sent. The server is
// stopped (SIGSTOP) while the datagrams are queued, so they arrive in one recvmmsg batch in a
// known order: a DTLS client's ChannelData, then 31 of client A's, then 9 of client B's. The
// worker used to flush and release the whole batch after the DTLS record; reading B's
// datagrams into the released slots then sent B's bytes to A's peer.
#include <doctest/doctest.h>

#include <string>

#include "support/printers.hpp"
#include "support/test_cert.hpp"
#include "support/turn_client.hpp"
#include "support/turnd_process.hpp"

using namespace turntest;

namespace {

/// "A:17" padded to 100 bytes: who sent it, and which one.
std::vector<std::uint8_t> tagged(char who, int n) {
  std::string text = std::string(1, who) + ":" + std::to_string(n);
  text.resize(100, '.');
  return {text.begin(), text.end()};
}

/// The tag of a payload ("A:17"), readable in a failure message.
std::string tag_of(const std::vector<std::uint8_t>& payload) {
  const std::string text(payload.begin(), payload.end());
  return text.substr(0, text.find('.'));
}

}  // namespace

TEST_CASE("dtls batch: datagrams after a DTLS record in one batch keep their own payload") {
  TestPki pki;
  TurndProcess turnd({{"--dtls", "--cert=" + pki.write_bundle(), "--allow-loopback-peers"}});
  UdpSocket peer_a, peer_b, peer_d;
  TurnClient d(turnd.address(), "alice", "alice-pass", Transport::kDtls);
  TurnClient a(turnd.address(), "alice", "alice-pass");
  TurnClient b(turnd.address(), "bob", "bob-pass");
  REQUIRE(d.allocate().is_success());
  REQUIRE(a.allocate().is_success());
  REQUIRE(b.allocate().is_success());
  REQUIRE(d.channel_bind(0x4000, peer_d.local()).is_success());
  REQUIRE(a.channel_bind(0x4000, peer_a.local()).is_success());
  REQUIRE(b.channel_bind(0x4000, peer_b.local()).is_success());

  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    turnd.pause();
    d.send_channel_data(0x4000, tagged('D', round));
    for (int i = 0; i < 31; ++i)
      a.send_channel_data(0x4000, tagged('A', i));
    for (int i = 0; i < 9; ++i)
      b.send_channel_data(0x4000, tagged('B', i));
    turnd.resume();

    auto at_d = peer_d.receive();
    REQUIRE(at_d);
    CHECK(at_d->data == tagged('D', round));
    for (int i = 0; i < 31; ++i) {
      auto got = peer_a.receive();
      REQUIRE(got);
      CHECK(tag_of(got->data) == tag_of(tagged('A', i)));
    }
    for (int i = 0; i < 9; ++i) {
      auto got = peer_b.receive();
      REQUIRE(got);
      CHECK(tag_of(got->data) == tag_of(tagged('B', i)));
    }
    CHECK_FALSE(peer_a.receive(kSilenceTimeout));
  }
}
