#include "worker_harness.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <stdexcept>

#include "net/tcp_socket.hpp"
#include "net/udp_socket.hpp"
#include "stun/framing.hpp"
#include "stun/stun.hpp"
#include "userdb/source.hpp"

namespace fuzz_worker {
namespace {

constexpr const char* kRealm = "fuzz";
constexpr const char* kUser = "alice";
constexpr const char* kPassword = "alice-pass";

stun::SocketAddress loopback(std::uint8_t last, std::uint16_t port = 0) {
  return stun::SocketAddress::v4({127, 0, 0, last}, port);
}

int bound_udp(const stun::SocketAddress& at) {
  std::string error;
  const int fd = turn::open_udp_socket(at, /*reuseport=*/false, error);
  if (fd < 0)
    throw std::runtime_error("fuzz_worker: cannot bind " + at.to_string() + ": " + error);
  return fd;
}

turn::Config fuzz_config() {
  turn::Config c;
  c.listening_ips = {loopback(1)};
  c.realm = kRealm;
  c.users = {{kUser, kPassword}, {"bob", "bob-pass"}};
  // A small range of its own: every Allocate binds a real relay socket.
  c.min_port = 64000;
  c.max_port = 64199;
  c.allow_loopback_peers = true;  // the peers are 127.0.0.5/6
  c.relay_coalesce_us = 0;        // never sleep in the loop
  c.max_allocation_permissions = 8;
  c.max_allocation_channels = 8;
  c.max_tcp_peer_connections = 2;
  c.auth_ban_maxretry = 3;  // so inputs can reach the ban
  c.unauthorized_ratelimit_rps = 5;
  c.request_ratelimit_rps = 50;
  return c;
}

bool is_credential(std::uint16_t type) {
  using stun::AttrType;
  for (AttrType t :
       {AttrType::kUsername, AttrType::kUserhash, AttrType::kRealm, AttrType::kNonce,
        AttrType::kMessageIntegrity, AttrType::kMessageIntegritySha256, AttrType::kFingerprint,
        AttrType::kPasswordAlgorithm, AttrType::kPasswordAlgorithms}) {
    if (type == static_cast<std::uint16_t>(t))
      return true;
  }
  return false;
}

}  // namespace

Harness::Harness() : config_(fuzz_config()) {
  std::string error;
  const int udp = bound_udp(loopback(1));
  udp_listener_ = turn::local_address_of(udp);
  const int tcp = turn::open_tcp_listener(loopback(1), /*reuseport=*/false, error);
  if (tcp < 0)
    throw std::runtime_error("fuzz_worker: no TCP listener: " + error);
  tcp_listener_ = turn::local_address_of(tcp);
  const std::vector<stun::SocketAddress> listeners = {udp_listener_, tcp_listener_};
  turn::UserDbSource users(config_);
  shared_ = std::make_unique<turn::SharedState>(config_, users.reload(), listeners);
  shared_->connections.set_limits(config_.max_connections_per_source, 64);
  settings_ = std::make_shared<const turn::Settings>(config_, listeners, &shared_->ports.live);
  shared_->handoffs.resize(1);
  worker_ = std::make_unique<turn::Worker>(0, *shared_, settings_);
  worker_->add_listener(udp, udp_listener_);
  worker_->add_stream_listener(tcp, tcp_listener_);
  worker_->start_inline();
  for (std::size_t i = 0; i < kSources; ++i) {
    sources_[i] = bound_udp(loopback(static_cast<std::uint8_t>(1 + i)));
    source_addresses_[i] = turn::local_address_of(sources_[i]);
  }
  for (std::size_t i = 0; i < kPeers; ++i)
    peers_[i] = bound_udp(loopback(static_cast<std::uint8_t>(5 + i), kPeerPorts[i]));
  streams_.fill(-1);
}

Harness::~Harness() {
  for (int fd : streams_) {
    if (fd >= 0)
      ::close(fd);
  }
  for (int fd : peer_connections_)
    ::close(fd);
  settle();
  worker_->stop_inline();
  worker_.reset();
  for (int fd : sources_)
    ::close(fd);
  for (int fd : peers_)
    ::close(fd);
}

int Harness::stream(std::size_t index) {
  int& fd = streams_[index % kConnections];
  if (fd >= 0)
    return fd;
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  const socklen_t len = tcp_listener_.to_sockaddr(ss);
  ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);  // completes in the loop's accept
  settle();
  return fd;
}

std::vector<std::uint8_t> Harness::signed_request(std::span<const std::uint8_t> request,
                                                  const stun::SocketAddress& from,
                                                  const char* password) const {
  auto view = stun::MessageView::parse(request);
  if (!view || view->message_class() != stun::Class::kRequest)
    return {request.begin(), request.end()};
  std::vector<std::uint8_t> out(request.size() + 256);
  stun::MessageBuilder b(out, view->type(), view->transaction_id(), view->cookie());
  for (const auto& a : view->attributes()) {
    if (!is_credential(a.type))
      b.add_raw(a.type, request.subspan(a.offset, a.length));
  }
  b.add(stun::attr::kUsername, kUser);
  b.add(stun::attr::kRealm, kRealm);
  b.add(stun::attr::kNonce,
        shared_->nonces.issue(from, static_cast<std::uint64_t>(::time(nullptr))));
  b.add_integrity_sha1(stun::long_term_key_md5(kUser, kRealm, password));
  if (view->fingerprint_offset())
    b.add_fingerprint();
  auto built = b.finish();
  if (!built)
    return {request.begin(), request.end()};
  return {built->begin(), built->end()};
}

void Harness::apply(const Record& r) {
  switch (r.action) {
    case Action::kDatagram:
    case Action::kSignedDatagram:
    case Action::kWrongPassword: {
      const std::size_t i = r.index % kSources;
      const auto bytes =
          r.action == Action::kDatagram
              ? std::vector<std::uint8_t>(r.bytes.begin(), r.bytes.end())
              : signed_request(r.bytes, source_addresses_[i],
                               r.action == Action::kSignedDatagram ? kPassword : "wrong");
      sockaddr_storage ss;
      const socklen_t len = udp_listener_.to_sockaddr(ss);
      ::sendto(sources_[i], bytes.data(), bytes.size(), MSG_DONTWAIT,
               reinterpret_cast<sockaddr*>(&ss), len);
      break;
    }
    case Action::kStreamBytes:
    case Action::kSignedStream: {
      const int fd = stream(r.index);
      const auto bytes = r.action == Action::kStreamBytes
                             ? std::vector<std::uint8_t>(r.bytes.begin(), r.bytes.end())
                             : signed_request(r.bytes, loopback(1), kPassword);
      ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      break;
    }
    case Action::kPeerDatagram: {
      if (relays_.empty() || r.bytes.empty())
        break;
      const stun::SocketAddress to = relays_[r.bytes[0] % relays_.size()];
      sockaddr_storage ss;
      const socklen_t len = to.to_sockaddr(ss);
      ::sendto(peers_[r.index % kPeers], r.bytes.data() + 1, r.bytes.size() - 1, MSG_DONTWAIT,
               reinterpret_cast<sockaddr*>(&ss), len);
      break;
    }
    case Action::kPeerConnect: {
      if (relays_.empty() || r.bytes.empty() || peer_connections_.size() >= 4)
        break;
      const stun::SocketAddress to = relays_[r.bytes[0] % relays_.size()];
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_storage ss;
      socklen_t len = loopback(static_cast<std::uint8_t>(5 + r.index % kPeers)).to_sockaddr(ss);
      ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
      len = to.to_sockaddr(ss);
      ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
      if (r.bytes.size() > 1)
        ::send(fd, r.bytes.data() + 1, r.bytes.size() - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
      peer_connections_.push_back(fd);
      break;
    }
    case Action::kCloseStream: {
      int& fd = streams_[r.index % kConnections];
      if (fd >= 0)
        ::close(fd);
      fd = -1;
      break;
    }
  }
  settle();
}

void Harness::remember_relay(stun::Bytes message) {
  auto view = stun::MessageView::parse(message);
  if (!view || view->method() != stun::Method::kAllocate ||
      view->message_class() != stun::Class::kSuccess)
    return;
  if (auto relayed = view->get(stun::attr::kXorRelayedAddress); relayed && relays_.size() < 16)
    relays_.push_back(*relayed);
}

void Harness::drain_replies(int fd, bool stream) {
  std::array<std::uint8_t, 65536> buf;
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0)
      return;
    stun::Bytes got(buf.data(), static_cast<std::size_t>(n));
    if (!stream) {
      remember_relay(got);
      continue;
    }
    // The frames that arrived whole in this read (TCP allocations' relays come this way).
    while (auto frame = stun::next_frame(got, stun::kMaxStreamFrame, stun::kMaxChannelRfc5766)) {
      remember_relay(got.first(frame->size));
      got = got.subspan(frame->size);
    }
  }
}

void Harness::settle() {
  for (int round = 0; round < 4; ++round) {
    worker_->run_inline();
    for (int fd : sources_)
      drain_replies(fd, false);
    for (int fd : streams_) {
      if (fd >= 0)
        drain_replies(fd, true);
    }
    for (int fd : peers_)
      drain_replies(fd, true);
  }
}

}  // namespace fuzz_worker
