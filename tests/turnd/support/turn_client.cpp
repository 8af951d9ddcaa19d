#include "support/turn_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

namespace turntest {

stun::SocketAddress loopback(std::uint16_t port) {
  return stun::SocketAddress::v4({127, 0, 0, 1}, port);
}

stun::SocketAddress address(const char* ip, std::uint16_t port) {
  auto a = stun::SocketAddress::parse_ip(ip);
  if (!a)
    throw std::invalid_argument(std::string("not an IP address: ") + ip);
  a->port = port;
  return *a;
}

// ---------------------------------------------------------------------------------------------
// UdpSocket

UdpSocket::UdpSocket(const stun::SocketAddress& bind_to) {
  fd_ = ::socket(bind_to.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  // Room for the bulk tests' bursts.
  const int size = 1 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  sockaddr_storage ss;
  const socklen_t len = bind_to.to_sockaddr(ss);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error("bind " + bind_to.to_string() + ": " + std::strerror(err));
  }
  sockaddr_storage got{};
  socklen_t got_len = sizeof(got);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&got), &got_len);
  local_ = stun::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&got)).value();
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0)
    ::close(fd_);
}

void UdpSocket::send_to(const stun::SocketAddress& to, stun::Bytes data) const {
  sockaddr_storage ss;
  const socklen_t len = to.to_sockaddr(ss);
  const ssize_t n =
      ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&ss), len);
  if (n != static_cast<ssize_t>(data.size()))
    throw std::runtime_error("sendto " + to.to_string() + ": " + std::strerror(errno));
}

std::optional<Datagram> UdpSocket::receive(Millis timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::max<Millis::rep>(left.count(), 0)));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return std::nullopt;
    Datagram d;
    d.data.resize(65536);
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    const ssize_t n = ::recvfrom(fd_, d.data.data(), d.data.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        continue;
      return std::nullopt;
    }
    d.data.resize(static_cast<std::size_t>(n));
    d.from = stun::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss)).value();
    return d;
  }
}

// ---------------------------------------------------------------------------------------------
// Message

stun::MessageView Message::view() const {
  auto v = stun::MessageView::parse(bytes_);
  if (!v)
    throw std::runtime_error("not a STUN message: " + std::string(stun::to_string(v.error())));
  return *v;
}

int Message::error_code() const {
  auto v = view();
  auto e = v.get(stun::attr::kErrorCode);
  return e ? e->code : 0;
}

stun::TransactionId random_tid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  stun::TransactionId tid;
  for (auto& b : tid)
    b = static_cast<std::uint8_t>(rng());
  return tid;
}

std::vector<std::uint8_t> bytes_of_text(std::string_view s) {
  return {s.begin(), s.end()};
}

std::vector<std::uint8_t> concat_bytes(
    std::initializer_list<const std::vector<std::uint8_t>*> parts) {
  std::vector<std::uint8_t> out;
  for (const auto* p : parts)
    out.insert(out.end(), p->begin(), p->end());
  return out;
}

std::uint16_t free_udp_port() {
  UdpSocket probe(loopback(0));
  return probe.local().port;
}

std::vector<std::uint8_t> payload_of(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> p(size);
  for (std::size_t i = 0; i < size; ++i)
    p[i] = static_cast<std::uint8_t>(seed + i * 7);
  return p;
}

// ---------------------------------------------------------------------------------------------
// TurnClient

namespace {

/// The loopback address of the server's family, any port.
stun::SocketAddress client_address_for(const stun::SocketAddress& server) {
  if (server.is_v6())
    return *stun::SocketAddress::parse_ip("::1");
  return loopback();
}

}  // namespace

TurnClient::TurnClient(const stun::SocketAddress& server, std::string user, std::string password)
    : TurnClient(server, std::move(user), std::move(password), TurnClientOptions{}) {}

TurnClient::TurnClient(const stun::SocketAddress& server, std::string user, std::string password,
                       Transport transport)
    : TurnClient(server, std::move(user), std::move(password), [transport] {
        TurnClientOptions o;
        o.transport = transport;
        return o;
      }()) {}

TurnClient::TurnClient(const stun::SocketAddress& server, std::string user, std::string password,
                       const TurnClientOptions& options)
    : options_(options), server_(server) {
  creds_.user = std::move(user);
  creds_.password = std::move(password);
  if (options_.transport == Transport::kUdp)
    udp_ = std::make_unique<UdpSocket>(options_.local.value_or(client_address_for(server)));
  else
    conn_ = connect_to(server, options_.transport, options_.tls, options_.connect_timeout);
}

TurnClient::~TurnClient() = default;

UdpSocket& TurnClient::socket() {
  if (!udp_)
    throw std::logic_error("TurnClient::socket(): this client runs over " +
                           std::string(transport_name(options_.transport)));
  return *udp_;
}

StreamConnection* TurnClient::stream() {
  return is_stream(options_.transport) ? static_cast<StreamConnection*>(conn_.get()) : nullptr;
}

int TurnClient::fd() const {
  return udp_ ? udp_->fd() : conn_->fd();
}

const stun::SocketAddress& TurnClient::local() const {
  return udp_ ? udp_->local() : conn_->local();
}

void TurnClient::send_to_server(stun::Bytes bytes) {
  if (udp_)
    udp_->send_to(server_, bytes);
  else
    conn_->write(bytes);
}

std::optional<Datagram> TurnClient::receive_from_server(Millis timeout) {
  if (udp_)
    return udp_->receive(timeout);
  auto message = conn_->next_message(timeout);
  if (!message)
    return std::nullopt;
  return Datagram{std::move(*message), server_};
}

void TurnClient::send_raw(stun::Bytes bytes) {
  send_to_server(bytes);
}

bool TurnClient::connected() const {
  return udp_ || !conn_->closed();
}

bool TurnClient::closed_by_server(Millis timeout) {
  return conn_ && conn_->closed_by_peer(timeout);
}

std::string TurnClient::tls_version() const {
  return conn_ ? conn_->tls_version() : "";
}

int TurnClient::peer_chain_length() const {
  return conn_ ? conn_->peer_chain_length() : 0;
}

stun::Md5Key TurnClient::key_md5() const {
  return stun::long_term_key_md5(creds_.user, creds_.realm, creds_.password);
}

stun::Sha256Key TurnClient::key_sha256() const {
  return stun::long_term_key_sha256(creds_.user, creds_.realm, creds_.password);
}

std::vector<std::uint8_t> TurnClient::build(stun::Method method, const AttrFn& attrs,
                                            const RequestOptions& opt,
                                            const stun::TransactionId& tid) const {
  std::vector<std::uint8_t> buf(4096);
  stun::MessageBuilder b(buf, stun::pack_type(method, stun::Class::kRequest), tid);
  if (attrs)
    attrs(b);
  if (opt.auth != Auth::kNone) {
    creds_.sign(b,
                opt.auth == Auth::kSha256 ? stun::LongTermCredentials::Algorithm::kSha256
                                          : stun::LongTermCredentials::Algorithm::kMd5,
                opt.userhash);
  }
  if (opt.fingerprint)
    b.add_fingerprint();
  auto out = b.finish();
  if (!out)
    throw std::runtime_error("cannot build request: " + std::string(stun::to_string(out.error())));
  return {out->begin(), out->end()};
}

std::optional<Datagram> TurnClient::next_datagram(Millis timeout) {
  if (!backlog_.empty()) {
    Datagram d = std::move(backlog_.front());
    backlog_.pop_front();
    return d;
  }
  return receive_from_server(timeout);
}

std::optional<Message> TurnClient::exchange(const std::vector<std::uint8_t>& bytes,
                                            const stun::TransactionId& tid, Millis timeout) {
  send_to_server(bytes);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto d = receive_from_server(left);
    if (!d)
      return std::nullopt;
    auto v = stun::MessageView::parse(d->data);
    if (v && d->from == server_ &&
        (v->message_class() == stun::Class::kSuccess ||
         v->message_class() == stun::Class::kError) &&
        v->transaction_id() == tid) {
      return Message(std::move(d->data));
    }
    backlog_.push_back(std::move(*d));
  }
}

Message TurnClient::request(stun::Method method, const AttrFn& attrs, RequestOptions opt) {
  return request_via(nullptr, method, attrs, std::move(opt));
}

Message TurnClient::request_via(Connection* via, stun::Method method, const AttrFn& attrs,
                                RequestOptions opt) {
  // A request on another connection (an RFC 6062 data connection): nothing but the response is
  // expected there before ConnectionBind succeeds, so anything else is dropped.
  auto exchange_via = [&](const std::vector<std::uint8_t>& bytes,
                          const stun::TransactionId& tid) -> std::optional<Message> {
    if (!via)
      return exchange(bytes, tid);
    via->write(bytes);
    const auto deadline = std::chrono::steady_clock::now() + kReplyTimeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      auto frame = via->next_message(left);
      if (!frame)
        return std::nullopt;
      auto v = stun::MessageView::parse(*frame);
      if (v && v->transaction_id() == tid &&
          (v->message_class() == stun::Class::kSuccess ||
           v->message_class() == stun::Class::kError)) {
        return Message(std::move(*frame));
      }
    }
  };
  auto once = [&](const RequestOptions& o) {
    const stun::TransactionId tid = o.tid.value_or(random_tid());
    auto response = exchange_via(build(method, attrs, o, tid), tid);
    if (!response)
      throw std::runtime_error("no response to " + std::string(stun::method_name(method)));
    return *response;
  };
  if (opt.auth != Auth::kNone && creds_.nonce.empty() && opt.retry) {
    RequestOptions plain = opt;
    plain.auth = Auth::kNone;
    plain.tid.reset();
    Message challenge = once(plain);
    if (challenge.error_code() != 401)
      return challenge;  // e.g. Binding, which needs no credentials
    auto v = challenge.view();
    creds_.realm = std::string(v.get(stun::attr::kRealm).value_or(""));
    creds_.nonce = std::string(v.get(stun::attr::kNonce).value_or(""));
    opt.tid.reset();
  }
  Message response = once(opt);
  if (opt.retry && opt.auth != Auth::kNone && response.error_code() == 438) {
    creds_.nonce = std::string(response.view().get(stun::attr::kNonce).value_or(""));
    opt.tid.reset();
    response = once(opt);
  }
  return response;
}

bool TurnClient::verify(const Message& response, Auth alg) const {
  auto v = response.view();
  if (alg == Auth::kSha256) {
    const auto key = key_sha256();
    return stun::verify_integrity_sha256(v, key);
  }
  const auto key = key_md5();
  return stun::verify_integrity_sha1(v, key);
}

namespace {

Message allocate_with(TurnClient& c, std::uint8_t transport, const AttrFn& extra,
                      RequestOptions opt) {
  return c.request(
      stun::Method::kAllocate,
      [&](stun::MessageBuilder& b) {
        b.add(stun::attr::kRequestedTransport, transport);
        if (extra)
          extra(b);
      },
      std::move(opt));
}

}  // namespace

Message TurnClient::allocate(const AttrFn& extra, RequestOptions opt) {
  Message r = allocate_with(*this, stun::kTransportUdp, extra, std::move(opt));
  if (r.is_success()) {
    if (auto relayed = r.view().get(stun::attr::kXorRelayedAddress))
      relay_ = *relayed;
  }
  return r;
}

Message TurnClient::allocate_tcp(const AttrFn& extra, RequestOptions opt) {
  Message r = allocate_with(*this, stun::kTransportTcp, extra, std::move(opt));
  if (r.is_success()) {
    if (auto relayed = r.view().get(stun::attr::kXorRelayedAddress))
      relay_ = *relayed;
  }
  return r;
}

Message TurnClient::connect_peer(const stun::SocketAddress& peer, RequestOptions opt) {
  return request(
      stun::Method::kConnect,
      [&](stun::MessageBuilder& b) { b.add(stun::attr::kXorPeerAddress, peer); }, std::move(opt));
}

std::unique_ptr<StreamConnection> TurnClient::open_data_connection(Millis timeout) const {
  if (!is_stream(options_.transport))
    throw std::logic_error("RFC 6062 data connections need a TCP or TLS client, not " +
                           std::string(transport_name(options_.transport)));
  return StreamConnection::connect(server_, options_.transport, options_.tls, timeout);
}

Message TurnClient::connection_bind(StreamConnection& data, std::uint32_t connection_id,
                                    RequestOptions opt) {
  return request_via(
      &data, stun::Method::kConnectionBind,
      [&](stun::MessageBuilder& b) { b.add(stun::attr::kConnectionId, connection_id); },
      std::move(opt));
}

Message TurnClient::refresh(std::optional<std::uint32_t> lifetime, RequestOptions opt) {
  return request(
      stun::Method::kRefresh,
      [&](stun::MessageBuilder& b) {
        if (lifetime)
          b.add(stun::attr::kLifetime, *lifetime);
      },
      opt);
}

Message TurnClient::create_permission(const std::vector<stun::SocketAddress>& peers,
                                      RequestOptions opt) {
  return request(
      stun::Method::kCreatePermission,
      [&](stun::MessageBuilder& b) {
        for (const auto& p : peers)
          b.add(stun::attr::kXorPeerAddress, p);
      },
      opt);
}

Message TurnClient::channel_bind(std::uint16_t channel, const stun::SocketAddress& peer,
                                 RequestOptions opt) {
  return request(
      stun::Method::kChannelBind,
      [&](stun::MessageBuilder& b) {
        b.add(stun::attr::kChannelNumber, channel);
        b.add(stun::attr::kXorPeerAddress, peer);
      },
      opt);
}

void TurnClient::send_indication(const stun::SocketAddress& peer, stun::Bytes payload) {
  std::vector<std::uint8_t> buf(payload.size() + 128);
  stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kSend, stun::Class::kIndication),
                         random_tid());
  b.add(stun::attr::kXorPeerAddress, peer);
  b.add(stun::attr::kData, payload);
  auto out = b.finish();
  if (!out)
    throw std::runtime_error("cannot build Send indication");
  send_to_server(*out);
}

void TurnClient::send_channel_data(std::uint16_t channel, stun::Bytes payload) {
  // RFC 8656 §12.5: padded over streams (the framer needs it); not over UDP or DTLS, where
  // each message has its own datagram/record.
  send_to_server(channel_data_frame(channel, payload, is_stream(options_.transport)));
}

std::optional<Relayed> TurnClient::receive_relayed(Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    auto d = next_datagram(std::max(left, Millis{0}));
    if (!d)
      return std::nullopt;
    if (d->from != server_)
      continue;
    Relayed r;
    if (!d->data.empty() && d->data[0] >= 0x40 && d->data[0] <= 0x7F) {
      auto cd = stun::ChannelDataView::parse(d->data, stun::kMaxChannelRfc5766);
      if (!cd)
        continue;
      r.channel = true;
      r.number = cd->channel;
      r.data.assign(cd->payload.begin(), cd->payload.end());
      return r;
    }
    auto v = stun::MessageView::parse(d->data);
    if (!v || v->method() != stun::Method::kData ||
        v->message_class() != stun::Class::kIndication) {
      continue;
    }
    // The indication must be exactly as long as its header says (padding included).
    if (v->size() != d->data.size())
      throw std::runtime_error("Data indication with trailing bytes");
    auto peer = v->get(stun::attr::kXorPeerAddress);
    auto data = v->get(stun::attr::kData);
    if (!peer || !data)
      throw std::runtime_error("Data indication without XOR-PEER-ADDRESS or DATA");
    r.peer = *peer;
    r.data.assign(data->begin(), data->end());
    return r;
  }
}

}  // namespace turntest
