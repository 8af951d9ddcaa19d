// A TurnContext with no loop and no sockets, for unit tests of the request handlers, the relay
// path and the allocation table: a clock the test moves, relay sockets that are only numbers, and
// every message the code under test sends kept for the test to read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alloc/allocation_table.hpp"
#include "handlers/turn_context.hpp"
#include "stun/builder.hpp"
#include "stun/long_term_credentials.hpp"
#include "stun/message_view.hpp"
#include "userdb/source.hpp"

namespace turntest {

/// A relay socket handed out by FakeBinder: fd and port are made up, nothing is bound.
struct FakeBinder final : turn::RelayBinder {
  std::optional<turn::RelaySocket> open_udp(turn::Allocation& owner, const stun::SocketAddress& ip,
                                            const turn::PortRequest& ports) override;
  std::optional<turn::RelaySocket> open_tcp(turn::Allocation& owner,
                                            const stun::SocketAddress& ip) override;

  bool fail = false;          ///< every bind fails (no port could be had: 508)
  unsigned opened = 0;        ///< sockets handed out
  unsigned released = 0;      ///< their leases given back
  unsigned reservations = 0;  ///< EVEN-PORT R reservations made
  unsigned cancelled = 0;     ///< ...and given back
  std::uint16_t next_port = 50000;
};

/// One message the code under test sent, copied out of the transmit buffer.
struct Sent {
  turn::ClientKey to;
  std::vector<std::uint8_t> bytes;
  stun::MessageView view() const;
};

/// One relayed datagram, with the relay socket (fd) it left from.
struct RelayedDatagram {
  int fd = -1;
  stun::SocketAddress to;
  std::vector<std::uint8_t> bytes;
};

/// What the context's table and settings are built from; a base, so it exists before them.
struct FakeServerState {
  explicit FakeServerState(const turn::Config& config);
  stun::SocketAddress listener;
  std::unique_ptr<turn::SharedState> shared;
  std::shared_ptr<const turn::Settings> settings;
};

class FakeContext final : private FakeServerState,
                          public turn::TurnContext,
                          public turn::TcpRelayControl {
 public:
  explicit FakeContext(turn::Config config);

  // TurnContext.
  std::uint64_t now_ms() const override { return now_ms_; }
  std::uint64_t wall_s() const override { return wall_s_; }
  unsigned worker_index() const override { return 0; }
  const turn::Settings& settings() const override { return *FakeServerState::settings; }
  turn::SharedState& shared() override { return *FakeServerState::shared; }
  turn::WorkerStats& stats() override { return stats_; }
  turn::AllocationTable& allocations() override { return table_; }
  turn::TcpRelayControl& tcp_relay() override { return *this; }
  const stun::SocketAddress& listener_address(std::uint32_t) const override { return listener; }
  turn::ClientTransport transport_of(const turn::ClientKey& key) const override {
    return key.connection == 0 ? turn::ClientTransport::kUdp : turn::ClientTransport::kTcp;
  }
  bool is_stream_client(const turn::ClientKey& key) const override { return key.connection != 0; }
  bool source_banned(const stun::SocketAddress&) override { return false; }
  stun::MutableBytes tx_buffer() override { return tx_; }
  void send_to_client(const turn::ClientKey& key, stun::Bytes message) override;
  void relay_to_client(const turn::ClientKey& key, stun::Bytes datagram) override;
  void relay_to_peer(const turn::Allocation& a, const stun::SocketAddress& peer,
                     stun::Bytes datagram) override;

  // TcpRelayControl: no RFC 6062 connections in these tests.
  bool has_peer_connection(const turn::Allocation&, const stun::SocketAddress&) const override {
    return false;
  }
  bool start_peer_connect(turn::Allocation&, const stun::SocketAddress&, const turn::ClientKey&,
                          const stun::TransactionId&, const turn::AuthOutcome&, bool) override {
    return false;
  }
  void bind_data_connection(const turn::ClientKey&, std::uint32_t, const stun::TransactionId&,
                            const turn::AuthOutcome&, bool) override {}

  /// Moves both clocks on (the table's expiry runs when the test calls expire()).
  void advance_s(std::uint64_t seconds) {
    now_ms_ += seconds * 1000;
    wall_s_ += seconds;
  }
  void expire() { table_.expire(now_ms_); }

  /// Feeds `datagram` to the ingress as if it came from `key`; returns what was answered.
  std::optional<Sent> receive(const turn::ClientKey& key, stun::Bytes datagram);

  FakeBinder binder;
  std::vector<Sent> sent;
  std::vector<RelayedDatagram> relayed;

 private:
  turn::WorkerStats stats_;
  std::vector<std::uint8_t> tx_storage_;
  stun::MutableBytes tx_;
  std::uint64_t now_ms_ = 1'000'000;
  std::uint64_t wall_s_ = 1'800'000'000;
  turn::AllocationTable table_;
};

/// Builds requests the way a long-term-credential client does (RFC 8489 §9.2): the first one
/// unsigned, later ones with USERNAME, REALM, the NONCE of the last 401 and MESSAGE-INTEGRITY.
class RequestBuilder {
 public:
  RequestBuilder(std::string user, std::string password, std::string realm);
  /// `add` adds the method's own attributes to the builder.
  template <typename Add>
  std::vector<std::uint8_t> build(stun::Method method, Add&& add, bool sign = true);
  std::vector<std::uint8_t> build(stun::Method method, bool sign = true) {
    return build(
        method, [](stun::MessageBuilder&) {}, sign);
  }
  /// Takes REALM and NONCE from a 401/438 answer.
  void learn(const Sent& challenge) { creds_.learn(challenge.view()); }
  const std::string& nonce() const { return creds_.nonce; }

 private:
  std::vector<std::uint8_t> finish(stun::MessageBuilder& b, bool sign);
  stun::LongTermCredentials creds_;
  std::uint32_t next_tid_ = 1;
  std::vector<std::uint8_t> buffer_;
};

template <typename Add>
std::vector<std::uint8_t> RequestBuilder::build(stun::Method method, Add&& add, bool sign) {
  buffer_.assign(2048, 0);
  stun::TransactionId tid{};
  stun::store_u32(tid.data() + 8, next_tid_++);
  stun::MessageBuilder b(buffer_, stun::pack_type(method, stun::Class::kRequest), tid);
  add(b);
  return finish(b, sign);
}

/// The ERROR-CODE of a response, 0 for a success.
std::uint16_t error_code(const Sent& response);

}  // namespace turntest
