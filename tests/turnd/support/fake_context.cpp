#include "support/fake_context.hpp"

#include "ingress/ingress.hpp"
#include "userdb/source.hpp"

namespace turntest {

std::optional<turn::RelaySocket> FakeBinder::open_udp(turn::Allocation&,
                                                      const stun::SocketAddress& ip,
                                                      const turn::PortRequest& ports) {
  if (fail)
    return std::nullopt;
  turn::RelaySocket s;
  s.fd = 1000 + static_cast<int>(opened++);
  s.address = ip;
  s.address.port = next_port++;
  s.lease =
      turn::Lease([](void* b, std::uint64_t) { ++static_cast<FakeBinder*>(b)->released; }, this, 0);
  if (ports.reserve_next) {
    ++reservations;
    s.reservation_token = 0x1234'5678'0000'0000ull + reservations;
    s.reservation = turn::Lease(
        [](void* b, std::uint64_t) { ++static_cast<FakeBinder*>(b)->cancelled; }, this, 0);
  }
  return s;
}

std::optional<turn::RelaySocket> FakeBinder::open_tcp(turn::Allocation& owner,
                                                      const stun::SocketAddress& ip) {
  return open_udp(owner, ip, turn::PortRequest{});
}

stun::MessageView Sent::view() const {
  auto v = stun::MessageView::parse(bytes);
  if (!v)
    throw std::runtime_error("the context sent something that is not STUN");
  return *v;
}

FakeServerState::FakeServerState(const turn::Config& config)
    : listener(config.listening_ips.empty() ? stun::SocketAddress::v4({127, 0, 0, 1}, 3478)
                                            : config.listening_ips.front()) {
  if (listener.port == 0)
    listener.port = 3478;
  turn::UserDbSource users(config);
  shared = std::make_unique<turn::SharedState>(config, users.reload(),
                                               std::vector<stun::SocketAddress>{listener});
  settings = std::make_shared<const turn::Settings>(
      config, std::vector<stun::SocketAddress>{listener}, &shared->ports.live);
}

FakeContext::FakeContext(turn::Config config)
    : FakeServerState(config),
      tx_storage_(stun::kHeaderSize + 0xFFFC),
      tx_(tx_storage_),
      table_(binder, FakeServerState::shared->quota, FakeServerState::shared->bandwidth, stats_) {}

void FakeContext::send_to_client(const turn::ClientKey& key, stun::Bytes message) {
  sent.push_back({key, {message.begin(), message.end()}});
}

void FakeContext::relay_to_client(const turn::ClientKey& key, stun::Bytes datagram) {
  relayed.push_back({-1, key.client, {datagram.begin(), datagram.end()}});
}

void FakeContext::relay_to_peer(const turn::Allocation& a, const stun::SocketAddress& peer,
                                stun::Bytes datagram) {
  relayed.push_back({a.relay_fd_for(peer), peer, {datagram.begin(), datagram.end()}});
}

std::optional<Sent> FakeContext::receive(const turn::ClientKey& key, stun::Bytes datagram) {
  const std::size_t before = sent.size();
  turn::on_client_datagram(*this, key, datagram);
  if (sent.size() == before)
    return std::nullopt;
  return sent.back();
}

RequestBuilder::RequestBuilder(std::string user, std::string password, std::string realm) {
  creds_.user = std::move(user);
  creds_.password = std::move(password);
  creds_.realm = std::move(realm);
}

std::vector<std::uint8_t> RequestBuilder::finish(stun::MessageBuilder& b, bool sign) {
  if (sign && creds_.ready())
    creds_.sign(b);
  auto bytes = b.finish();
  if (!bytes)
    throw std::runtime_error("cannot build the request");
  return {bytes->begin(), bytes->end()};
}

std::uint16_t error_code(const Sent& response) {
  const stun::MessageView v = response.view();
  if (v.message_class() != stun::Class::kError)
    return 0;
  auto e = v.get(stun::attr::kErrorCode);
  return e ? e->code : 1;
}

}  // namespace turntest
