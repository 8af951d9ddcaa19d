// Self-tests of the test client's TCP, TLS and DTLS transports and the RFC 6062 test peers,
// against small servers written here (raw sockets and raw OpenSSL), so that a failing turnd
// stream test points at turnd rather than at the client. Frames are written in awkward chunks:
// a stream receiver must cut STUN messages and ChannelData by their length fields alone
// (RFC 8656 §10.1), and ChannelData is padded to 4 bytes on streams (RFC 8656 §12.5).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "stun/stun.hpp"
#include "support/printers.hpp"
#include "support/stream_connection.hpp"
#include "support/tcp_echo_peer.hpp"
#include "support/test_cert.hpp"
#include "support/test_server.hpp"
#include "support/turn_client.hpp"

using namespace turntest;

namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

/// How long the servers in this file wait for the client before giving up (so a failing test
/// ends instead of hanging).
constexpr int kServerWaitSeconds = 3;

Bytes message(stun::Method m, stun::Class cls, const stun::TransactionId& tid,
              const AttrFn& attrs = {}) {
  Bytes buf(2048);
  stun::MessageBuilder b(buf, stun::pack_type(m, cls), tid);
  if (attrs)
    attrs(b);
  auto out = b.finish();
  if (!out)
    throw std::runtime_error("cannot build a test message");
  return {out->begin(), out->end()};
}

Bytes binding_success(const stun::TransactionId& tid) {
  return message(stun::Method::kBinding, stun::Class::kSuccess, tid, [](stun::MessageBuilder& b) {
    b.add(stun::attr::kXorMappedAddress, loopback(40000));
  });
}

Bytes data_indication(const stun::SocketAddress& peer, const Bytes& payload) {
  return message(stun::Method::kData, stun::Class::kIndication, random_tid(),
                 [&](stun::MessageBuilder& b) {
                   b.add(stun::attr::kXorPeerAddress, peer);
                   b.add(stun::attr::kData, stun::Bytes(payload));
                 });
}

/// Polls `pred` until it holds; false after kReplyTimeout.
bool wait_until(const std::function<bool()>& pred) {
  const auto deadline = Clock::now() + kReplyTimeout;
  while (!pred()) {
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

void expect(bool ok, const std::string& what) {
  if (!ok)
    throw std::runtime_error(what);
}

/// The request's transaction id, or a throw when `frame` is not a STUN request of `method`.
stun::TransactionId request_tid(const Bytes& frame, stun::Method method) {
  auto v = stun::MessageView::parse(frame);
  expect(v.ok(), "the client sent something that is not STUN");
  expect(v->method() == method && v->message_class() == stun::Class::kRequest,
         "the client sent the wrong request");
  return v->transaction_id();
}

/// A server-side thread whose failures (exceptions) the test checks after join().
class ServerThread {
 public:
  explicit ServerThread(std::function<void()> body)
      : thread_([this, body = std::move(body)] {
          // The servers here write with plain write() (raw OpenSSL on the fd); a client that
          // already hung up must give EPIPE, not kill the test binary. SIGPIPE from write() is
          // delivered to the writing thread, so blocking it here is enough.
          sigset_t set;
          sigemptyset(&set);
          sigaddset(&set, SIGPIPE);
          pthread_sigmask(SIG_BLOCK, &set, nullptr);
          try {
            body();
          } catch (const std::exception& e) {
            error_ = e.what();
          }
        }) {}
  ~ServerThread() { join(); }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;
  /// Joins and returns what went wrong on the server side ("" when nothing).
  const std::string& join() {
    if (thread_.joinable())
      thread_.join();
    return error_;
  }

 private:
  std::string error_;
  std::thread thread_;
};

/// A blocking accepted socket, or -1 when nobody connects in time.
int accept_blocking(int listen_fd) {
  pollfd p{listen_fd, POLLIN, 0};
  if (::poll(&p, 1, kServerWaitSeconds * 1000) <= 0)
    return -1;
  const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) {
    const timeval tv{kServerWaitSeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  return fd;
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += out.empty() ? "" : "; ";
    out += buf;
  }
  return out;
}

/// A server context with turntest::TestPki's server chain (leaf + intermediate); with
/// `client_ca`, clients must present a certificate that the PKI's root signs.
SslCtxPtr server_context(const TestPki& pki, bool dtls, bool client_ca = false) {
  SslCtxPtr ctx(SSL_CTX_new(dtls ? DTLS_server_method() : TLS_server_method()));
  REQUIRE(ctx);
  REQUIRE(SSL_CTX_use_certificate_chain_file(ctx.get(), pki.write_chain().c_str()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), pki.write_key().c_str(), SSL_FILETYPE_PEM) == 1);
  if (dtls) {
    SSL_CTX_set_min_proto_version(ctx.get(), DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), DTLS1_2_VERSION);
  }
  if (client_ca) {
    REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), pki.write_ca().c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

/// The server end of one TLS session (blocking SSL on the accepted fd), with its own framing so
/// that it does not share code with the client under test.
class TlsSession {
 public:
  TlsSession(SSL_CTX* ctx, int fd) : fd_(fd), ssl_(SSL_new(ctx)) { SSL_set_fd(ssl_, fd_); }
  ~TlsSession() {
    SSL_free(ssl_);
    ::close(fd_);
  }
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  /// "" when the handshake worked, else why not.
  std::string handshake() {
    ERR_clear_error();
    if (SSL_accept(ssl_) == 1)
      return "";
    const std::string e = openssl_errors();
    return e.empty() ? "handshake failed" : e;
  }
  SSL* ssl() const { return ssl_; }
  /// One SSL_write (one record or more), all of it.
  void write(const Bytes& b) {
    expect(SSL_write(ssl_, b.data(), static_cast<int>(b.size())) == static_cast<int>(b.size()),
           "server SSL_write: " + openssl_errors());
  }
  /// The next STUN message or ChannelData the client sent: STUN is 20 + length bytes, ChannelData
  /// 4 + length padded to 4 (RFC 8656 §12.5).
  Bytes frame() {
    while (buf_.size() < 4)
      read_more();
    const std::size_t length = (std::size_t{buf_[2]} << 8) | buf_[3];
    const std::size_t size = buf_[0] < 0x40 ? 20 + length : 4 + ((length + 3) & ~std::size_t{3});
    while (buf_.size() < size)
      read_more();
    Bytes out(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(size));
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(size));
    return out;
  }
  /// Reads (and drops) until the client closes, or the socket's receive timeout.
  void wait_close() {
    std::uint8_t b[256];
    while (SSL_read(ssl_, b, sizeof(b)) > 0) {
    }
  }

 private:
  void read_more() {
    std::uint8_t b[4096];
    const int n = SSL_read(ssl_, b, sizeof(b));
    expect(n > 0, "server SSL_read: " + openssl_errors());
    buf_.insert(buf_.end(), b, b + n);
  }

  int fd_;
  SSL* ssl_;
  Bytes buf_;
};

/// A TLS server on a thread: accepts `connections` connections one after the other, runs
/// `handler` on each that completes the handshake, and counts the handshakes.
struct TlsServer {
  TlsServer(SSL_CTX* ctx, int connections, std::function<void(TlsSession&)> handler)
      : thread([this, ctx, connections, handler = std::move(handler)] {
          for (int i = 0; i < connections; ++i) {
            const int fd = accept_blocking(listener.fd());
            expect(fd >= 0, "no client connected");
            TlsSession s(ctx, fd);
            const std::string e = s.handshake();
            if (!e.empty()) {
              handshake_errors.push_back(e);
              continue;
            }
            ++handshakes;
            if (handler)
              handler(s);
          }
        }) {}

  TcpListenerPeer listener;  // constructed before the thread starts (declaration order)
  int handshakes = 0;
  std::vector<std::string> handshake_errors;
  ServerThread thread;
};

TlsOptions verifying(const TestPki& pki, std::string hostname = kServerName) {
  TlsOptions o;
  o.ca_file = pki.write_ca();
  o.hostname = std::move(hostname);
  return o;
}

TurnClientOptions over(Transport t, TlsOptions tls = {}) {
  TurnClientOptions o;
  o.transport = t;
  o.tls = std::move(tls);
  return o;
}

}  // namespace

TEST_SUITE_BEGIN("support: stream client");

TEST_CASE("stream client: TCP frames are cut by their lengths wherever the stream splits") {
  TcpListenerPeer listener;
  auto client = StreamConnection::connect(listener.address());
  auto server = listener.accept();
  REQUIRE(server);
  CHECK(client->transport() == Transport::kTcp);
  CHECK(client->peer() == listener.address());
  CHECK(server->peer() == client->local());

  // Two STUN messages and a ChannelData whose 5-byte payload is padded to 8 (RFC 8656 §12.5).
  const Bytes a = binding_success(random_tid());
  const Bytes b = message(stun::Method::kAllocate, stun::Class::kError, random_tid(),
                          [](stun::MessageBuilder& m) {
                            m.add(stun::attr::kErrorCode, {401, "Unauthorized"});
                            m.add(stun::attr::kRealm, "turnd.test");
                            m.add(stun::attr::kNonce, "0123456789abcdef");
                          });
  const Bytes cd = channel_data_frame(0x4001, bytes_of_text("hello"), /*pad=*/true);
  REQUIRE(cd.size() == 12);
  const std::vector<Bytes> frames = {a, b, cd};
  const Bytes all = concat_bytes({&a, &b, &cd});

  // Every split point: the frames complete in the first part come out, then nothing (the rest
  // is incomplete, never a short frame), then the others once the rest arrives.
  for (std::size_t split = 1; split < all.size(); ++split) {
    CAPTURE(split);
    server->write(stun::Bytes(all).first(split));
    std::size_t end = 0;
    std::size_t next = 0;
    for (; next < frames.size() && end + frames[next].size() <= split; ++next) {
      end += frames[next].size();
      auto f = client->next_frame();
      REQUIRE(f);
      CHECK(*f == frames[next]);
    }
    CHECK_FALSE(client->next_frame(Millis{0}));
    server->write(stun::Bytes(all).subspan(split));
    for (; next < frames.size(); ++next) {
      auto f = client->next_frame();
      REQUIRE(f);
      CHECK(*f == frames[next]);
    }
    CHECK(client->buffered() == 0);
  }

  // One byte, then the rest, with the reader already waiting on the other side of a thread.
  {
    ServerThread writer([&] {
      std::this_thread::sleep_for(20ms);
      server->write(stun::Bytes(all).first(1));
      std::this_thread::sleep_for(20ms);
      server->write(stun::Bytes(all).subspan(1));
    });
    for (const Bytes& want : frames) {
      auto f = client->next_frame();
      REQUIRE(f);
      CHECK(*f == want);
    }
    CHECK(writer.join().empty());
  }

  // The server hangs up: whatever it sent first is still delivered, then the close is seen.
  server->write(a);
  server.reset();
  CHECK(client->closed_by_peer());
  CHECK(client->closed());
  CHECK(client->close_reason() == "EOF");
  auto last = client->next_frame(Millis{0});
  REQUIRE(last);
  CHECK(*last == a);
  CHECK_FALSE(client->next_frame(Millis{0}));
}

TEST_CASE("stream client: bytes that cannot start a frame are an error, not a frame") {
  TcpListenerPeer listener;
  auto client = StreamConnection::connect(listener.address());
  auto server = listener.accept();
  REQUIRE(server);
  SUBCASE("first byte neither STUN nor ChannelData (RFC 7983): a TLS record on plain TCP") {
    server->write(Bytes{0x16, 0x03, 0x01, 0x00, 0x04, 1, 2, 3, 4});
  }
  SUBCASE("an RTP-looking byte (RFC 7983: 128-191)") {
    server->write(Bytes{0x80, 0x00, 0x00, 0x00});
  }
  SUBCASE("STUN length not a multiple of 4") {
    Bytes m = binding_success(random_tid());
    m[3] = static_cast<std::uint8_t>(m[3] + 1);
    server->write(m);
  }
  CHECK_THROWS_AS(client->next_frame(), std::runtime_error);
}

TEST_CASE("stream client: read_some and read_exactly see raw bytes, frames first") {
  TcpListenerPeer listener;
  auto client = StreamConnection::connect(listener.address());
  auto server = listener.accept();
  REQUIRE(server);
  // A ConnectionBind success followed at once by peer data (RFC 6062 §4.4): the bytes after the
  // frame stay buffered for the raw reads.
  const Bytes response = binding_success(random_tid());
  const Bytes raw = bytes_of_text("raw peer bytes");
  server->write(concat_bytes({&response, &raw}));
  auto f = client->next_frame();
  REQUIRE(f);
  CHECK(*f == response);
  auto first = client->read_exactly(4);
  REQUIRE(first);
  CHECK(*first == bytes_of_text("raw "));
  CHECK(client->read_some() == bytes_of_text("peer bytes"));
  CHECK(client->read_some(Millis{0}).empty());
  CHECK_FALSE(client->read_exactly(1, 50ms));
  CHECK_FALSE(client->closed());

  // Half-close from the client: the server reads EOF but can still write.
  client->close_write();
  CHECK(server->closed_by_peer());
  server->write(raw);
  CHECK(client->read_exactly(raw.size()) == raw);
}

TEST_CASE("turn client over TCP: responses by tid, relayed data kept, ChannelData padded") {
  TcpListenerPeer listener;
  const stun::SocketAddress peer = loopback(50123);
  ServerThread server([&] {
    auto conn = listener.accept();
    expect(conn != nullptr, "no client connected");
    auto request = conn->next_frame();
    expect(request.has_value(), "no Binding request");
    const stun::TransactionId tid = request_tid(*request, stun::Method::kBinding);
    // Relayed data first, then the response, as one stream: one byte, then the rest.
    const Bytes data = data_indication(peer, bytes_of_text("hello"));
    const Bytes cd = channel_data_frame(0x4000, bytes_of_text("abc"), /*pad=*/true);
    const Bytes response = binding_success(tid);
    const Bytes all = concat_bytes({&data, &cd, &response});
    conn->write(stun::Bytes(all).first(1));
    std::this_thread::sleep_for(20ms);
    conn->write(stun::Bytes(all).subspan(1));
    // The client's ChannelData arrives padded: 4 + 5 bytes, then 3 zeros.
    auto frame = conn->next_frame();
    expect(frame.has_value(), "no ChannelData");
    expect(*frame == channel_data_frame(0x4001, bytes_of_text("12345"), true),
           "ChannelData not padded");
    // send_raw: bytes as they are, here a partial STUN header.
    auto partial = conn->read_exactly(3);
    expect(partial && *partial == Bytes{0x00, 0x01, 0x00}, "send_raw changed the bytes");
  });

  TurnClient c(listener.address(), "alice", "alice-pass", Transport::kTcp);
  CHECK(c.transport() == Transport::kTcp);
  REQUIRE(c.stream() != nullptr);
  CHECK(c.connection() == c.stream());
  CHECK(c.fd() == c.stream()->fd());
  CHECK(c.local() == c.stream()->local());
  CHECK(c.tls_version().empty());
  CHECK(c.peer_chain_length() == 0);
  CHECK_THROWS_AS(c.socket(), std::logic_error);

  const Message r = c.request(stun::Method::kBinding, {}, no_auth());
  CHECK(r.is_success());
  auto first = c.receive_relayed();
  REQUIRE(first);
  CHECK_FALSE(first->channel);
  CHECK(first->peer == peer);
  CHECK(first->data == bytes_of_text("hello"));
  auto second = c.receive_relayed();
  REQUIRE(second);
  CHECK(second->channel);
  CHECK(second->number == 0x4000);
  CHECK(second->data == bytes_of_text("abc"));  // the padding is not payload

  c.send_channel_data(0x4001, bytes_of_text("12345"));
  c.send_raw(Bytes{0x00, 0x01, 0x00});
  CHECK(c.connected());
  CHECK(server.join().empty());
  // The server thread's connection went away with it.
  CHECK(c.closed_by_server());
  CHECK_FALSE(c.connected());
  CHECK_FALSE(c.receive_relayed(Millis{0}));
}

TEST_CASE("turn client over TCP: an RFC 6062 data connection with ConnectionBind") {
  TcpListenerPeer listener;
  ServerThread server([&] {
    auto control = listener.accept();
    auto data = listener.accept();
    expect(control && data, "no control or data connection");
    // No credentials yet: the first ConnectionBind is unauthenticated and gets a 401.
    auto first = data->next_frame();
    expect(first.has_value(), "no ConnectionBind");
    const auto tid1 = request_tid(*first, stun::Method::kConnectionBind);
    auto v1 = stun::MessageView::parse(*first);
    expect(v1->get(stun::attr::kConnectionId).value_or(0) == 42, "CONNECTION-ID");
    expect(!v1->has(stun::AttrType::kUsername), "credentials before the challenge");
    data->write(message(stun::Method::kConnectionBind, stun::Class::kError, tid1,
                        [](stun::MessageBuilder& b) {
                          b.add(stun::attr::kErrorCode, {401, "Unauthorized"});
                          b.add(stun::attr::kRealm, "turnd.test");
                          b.add(stun::attr::kNonce, "nonce-1");
                        }));
    auto second = data->next_frame();
    expect(second.has_value(), "no second ConnectionBind");
    const auto tid2 = request_tid(*second, stun::Method::kConnectionBind);
    auto v2 = stun::MessageView::parse(*second);
    expect(v2->get(stun::attr::kUsername).value_or("") == "alice", "USERNAME");
    expect(v2->get(stun::attr::kNonce).value_or("") == "nonce-1", "NONCE");
    expect(v2->has(stun::AttrType::kMessageIntegrity), "MESSAGE-INTEGRITY");
    // The success, then the peer's bytes at once: from here the connection is raw.
    const Bytes ok = message(stun::Method::kConnectionBind, stun::Class::kSuccess, tid2);
    const Bytes raw = bytes_of_text("from the peer");
    data->write(concat_bytes({&ok, &raw}));
    expect(data->read_exactly(6) == bytes_of_text("to it!"), "raw bytes from the client");
  });

  TurnClient c(listener.address(), "alice", "alice-pass", Transport::kTcp);
  auto data = c.open_data_connection();
  REQUIRE(data);
  CHECK(data->transport() == Transport::kTcp);
  CHECK(data->local() != c.local());
  const Message r = c.connection_bind(*data, 42);
  CHECK(r.is_success());
  CHECK(r.method() == stun::Method::kConnectionBind);
  CHECK(c.nonce() == "nonce-1");
  CHECK(data->read_exactly(13) == bytes_of_text("from the peer"));
  data->write(bytes_of_text("to it!"));
  CHECK(server.join().empty());
}

TEST_CASE("turn client over UDP stays as it was; stream-only calls refuse") {
  UdpSocket fake_server;
  TurnClient c(fake_server.local());
  CHECK(c.transport() == Transport::kUdp);
  CHECK(c.connection() == nullptr);
  CHECK(c.stream() == nullptr);
  CHECK(c.fd() == c.socket().fd());
  CHECK(c.local() == c.socket().local());
  CHECK(c.connected());
  CHECK_FALSE(c.closed_by_server(Millis{0}));
  CHECK(c.tls_version().empty());
  CHECK_THROWS_AS(c.open_data_connection(), std::logic_error);

  // UDP ChannelData is not padded (RFC 8656 §12.5), and send_raw is one datagram.
  c.send_channel_data(0x4000, bytes_of_text("12345"));
  auto d = fake_server.receive();
  REQUIRE(d);
  CHECK(d->data.size() == 9);
  c.send_raw(Bytes{1, 2, 3});
  d = fake_server.receive();
  REQUIRE(d);
  CHECK(d->data == Bytes{1, 2, 3});
  CHECK(d->from == c.local());
}

TEST_CASE("turn client over TCP: connecting to a closed port throws") {
  TcpListenerPeer listener;
  const auto address = listener.address();
  listener.close();
  CHECK_THROWS_AS(TurnClient(address, "alice", "alice-pass", Transport::kTcp), std::runtime_error);
}

TEST_CASE("turn client over TLS: handshake details, frames across records, padded ChannelData") {
  TestPki pki;
  auto ctx = server_context(pki, /*dtls=*/false);
  TlsOptions tls;
  std::string want_version = "TLSv1.3";
  SUBCASE("TLS 1.3") {}
  SUBCASE("TLS 1.2") {
    tls.max_version = TLS1_2_VERSION;
    want_version = "TLSv1.2";
  }
  const stun::SocketAddress peer = loopback(50124);
  TlsServer server(ctx.get(), 1, [&](TlsSession& s) {
    const Bytes request = s.frame();
    const auto tid = request_tid(request, stun::Method::kBinding);
    const Bytes data = data_indication(peer, bytes_of_text("over tls"));
    const Bytes cd = channel_data_frame(0x4002, bytes_of_text("xy"), /*pad=*/true);
    const Bytes response = binding_success(tid);
    const Bytes all = concat_bytes({&cd, &data, &response});
    // Records that do not line up with frames: 1 byte, a cut inside the Data indication, rest.
    s.write(Bytes(all.begin(), all.begin() + 1));
    s.write(Bytes(all.begin() + 1, all.begin() + 17));
    s.write(Bytes(all.begin() + 17, all.end()));
    expect(s.frame() == channel_data_frame(0x4003, bytes_of_text("12345"), true),
           "ChannelData not padded");
    // Close politely: the client must see close_notify.
    SSL_shutdown(s.ssl());
  });

  TurnClient c(server.listener.address(), "alice", "alice-pass", over(Transport::kTls, tls));
  CHECK(c.transport() == Transport::kTls);
  CHECK(c.tls_version() == want_version);
  CHECK(c.connection()->tls_version_number() ==
        (want_version == "TLSv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION));
  CHECK_FALSE(c.connection()->tls_cipher().empty());
  CHECK(c.peer_chain_length() == 2);  // leaf + intermediate

  CHECK(c.request(stun::Method::kBinding, {}, no_auth()).is_success());
  auto cd = c.receive_relayed();
  REQUIRE(cd);
  CHECK(cd->channel);
  CHECK(cd->number == 0x4002);
  CHECK(cd->data == bytes_of_text("xy"));
  auto data = c.receive_relayed();
  REQUIRE(data);
  CHECK(data->peer == peer);
  CHECK(data->data == bytes_of_text("over tls"));
  c.send_channel_data(0x4003, bytes_of_text("12345"));
  CHECK(c.closed_by_server());
  CHECK(c.connection()->close_reason() == "close_notify");
  CHECK(server.thread.join().empty());
  CHECK(server.handshakes == 1);
}

TEST_CASE("turn client over TLS: CA file and host name verification") {
  TestPki pki;
  auto ctx = server_context(pki, /*dtls=*/false);
  TlsServer server(ctx.get(), 4, [](TlsSession& s) { s.wait_close(); });
  const auto address = server.listener.address();

  // The chain verifies against the root and names kServerName (and 127.0.0.1).
  {
    TurnClient c(address, "alice", "alice-pass", over(Transport::kTls, verifying(pki)));
    CHECK(c.peer_chain_length() == 2);
  }
  // Without a host name only the chain is checked.
  {
    TurnClient c(address, "alice", "alice-pass", over(Transport::kTls, verifying(pki, "")));
    CHECK(c.connected());
  }
  // A name the certificate does not carry.
  try {
    TurnClient c(address, "alice", "alice-pass",
                 over(Transport::kTls, verifying(pki, "other.example.com")));
    FAIL("the handshake should fail on the host name");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("hostname mismatch") != std::string::npos);
  }
  // A CA that did not sign the chain.
  TestPki stranger;
  TlsOptions wrong_ca = verifying(stranger);
  CHECK_THROWS_AS(TurnClient(address, "alice", "alice-pass", over(Transport::kTls, wrong_ca)),
                  std::runtime_error);

  CHECK(server.thread.join().empty());
  CHECK(server.handshakes == 2);
  CHECK(server.handshake_errors.size() == 2);
}

TEST_CASE("turn client over TLS: a client certificate for a CA-file server") {
  TestPki pki;
  auto ctx = server_context(pki, /*dtls=*/false, /*client_ca=*/true);
  bool saw_client_cert = false;
  TlsServer server(ctx.get(), 2, [&](TlsSession& s) {
    saw_client_cert = SSL_get0_peer_certificate(s.ssl()) != nullptr;
    const Bytes request = s.frame();
    s.write(binding_success(request_tid(request, stun::Method::kBinding)));
    s.wait_close();
  });
  const auto address = server.listener.address();
  {
    TlsOptions tls;
    tls.cert_file = pki.write("client.pem", pki.client_cert_pem);
    tls.key_file = pki.write("client-key.pem", pki.client_key_pem);
    TurnClient c(address, "alice", "alice-pass", over(Transport::kTls, tls));
    CHECK(c.request(stun::Method::kBinding, {}, no_auth()).is_success());
  }
  // Without one the server refuses. Under TLS 1.3 the client's side of the handshake ends
  // before the server has looked at the (missing) certificate, so the refusal may only show as
  // an alert and a closed connection afterwards.
  try {
    TurnClient c(address, "alice", "alice-pass", Transport::kTls);
    CHECK(c.closed_by_server());
    CHECK_FALSE(c.connected());
  } catch (const std::runtime_error&) {
    // Refused during the handshake: also right.
  }
  CHECK(server.thread.join().empty());
  CHECK(saw_client_cert);
  CHECK(server.handshakes == 1);
  CHECK(server.handshake_errors.size() == 1);
}

TEST_CASE("turn client over TLS: a server that closes mid-handshake fails the constructor") {
  TcpListenerPeer listener;
  ServerThread server([&] {
    auto conn = listener.accept();
    expect(conn != nullptr, "no client connected");
    conn->read_some();  // the ClientHello, then hang up
  });
  CHECK_THROWS_AS(TurnClient(listener.address(), "alice", "alice-pass", Transport::kTls),
                  std::runtime_error);
  CHECK(server.join().empty());
}

namespace {

/// A DTLS 1.2 server for one client on a thread: learns the client from its first datagram,
/// connects the UDP socket to it, handshakes, then runs `handler`.
class DtlsServer {
 public:
  DtlsServer(SSL_CTX* ctx, std::function<void(SSL*)> handler) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_storage ss;
    const socklen_t len = loopback().to_sockaddr(ss);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&ss), len) == 0);
    socklen_t got = sizeof(ss);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &got);
    address_ = *stun::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
    thread_ = std::make_unique<ServerThread>([this, ctx, handler = std::move(handler)] {
      pollfd p{fd_, POLLIN, 0};
      expect(::poll(&p, 1, kServerWaitSeconds * 1000) == 1, "no ClientHello");
      sockaddr_storage from{};
      socklen_t from_len = sizeof(from);
      std::uint8_t peek[1];
      ::recvfrom(fd_, peek, sizeof(peek), MSG_PEEK, reinterpret_cast<sockaddr*>(&from), &from_len);
      expect(::connect(fd_, reinterpret_cast<sockaddr*>(&from), from_len) == 0, "connect");
      const timeval tv{0, 100 * 1000};  // short, so the DTLS timer gets served
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      SSL* ssl = SSL_new(ctx);
      BIO* bio = BIO_new_dgram(fd_, BIO_NOCLOSE);
      BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &from);
      SSL_set_bio(ssl, bio, bio);
      struct Free {
        SSL* s;
        ~Free() { SSL_free(s); }
      } free_ssl{ssl};
      const auto deadline = Clock::now() + std::chrono::seconds(kServerWaitSeconds);
      // Blocking with a receive timeout: a timeout shows as WANT_READ and the loop serves the
      // retransmission timer.
      auto retry = [&](int r) {
        const int err = SSL_get_error(ssl, r);
        expect(err == SSL_ERROR_WANT_READ && Clock::now() < deadline,
               "DTLS server: " + openssl_errors());
        DTLSv1_handle_timeout(ssl);
      };
      for (int r; (r = SSL_accept(ssl)) != 1;)
        retry(r);
      handshakes_ = 1;
      handler(ssl);
    });
  }
  ~DtlsServer() {
    thread_.reset();
    ::close(fd_);
  }
  const stun::SocketAddress& address() const { return address_; }
  std::string join() { return thread_->join(); }
  int handshakes() const { return handshakes_; }

  /// One record from the client (blocking, bounded).
  static Bytes read_record(SSL* ssl) {
    const auto deadline = Clock::now() + std::chrono::seconds(kServerWaitSeconds);
    Bytes buf(65536);
    for (;;) {
      const int n = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()));
      if (n > 0) {
        buf.resize(static_cast<std::size_t>(n));
        return buf;
      }
      expect(SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ && Clock::now() < deadline,
             "DTLS server read: " + openssl_errors());
    }
  }
  static void write_record(SSL* ssl, const Bytes& b) {
    expect(SSL_write(ssl, b.data(), static_cast<int>(b.size())) == static_cast<int>(b.size()),
           "DTLS server write: " + openssl_errors());
  }

 private:
  int fd_ = -1;
  stun::SocketAddress address_;
  int handshakes_ = 0;
  std::unique_ptr<ServerThread> thread_;
};

}  // namespace

TEST_CASE("turn client over DTLS: one message per record, no padding, close_notify seen") {
  TestPki pki;
  auto ctx = server_context(pki, /*dtls=*/true);
  static std::atomic<int> cookies_verified{0};
  cookies_verified = 0;
  bool cookie_round = false;
  SUBCASE("straight handshake") {}
  SUBCASE("with a HelloVerifyRequest cookie round (RFC 6347 §4.2.1), as turnd does") {
    SSL_CTX_set_cookie_generate_cb(ctx.get(), [](SSL*, unsigned char* cookie, unsigned int* len) {
      std::memcpy(cookie, "cookie!!", 8);
      *len = 8;
      return 1;
    });
    SSL_CTX_set_cookie_verify_cb(
        ctx.get(), [](SSL*, const unsigned char* cookie, unsigned int len) {
          ++cookies_verified;
          return len == 8 && std::memcmp(cookie, "cookie!!", 8) == 0 ? 1 : 0;
        });
    SSL_CTX_set_options(ctx.get(), SSL_OP_COOKIE_EXCHANGE);
    cookie_round = true;
  }
  const stun::SocketAddress peer = loopback(50125);
  DtlsServer server(ctx.get(), [&](SSL* ssl) {
    const Bytes request = DtlsServer::read_record(ssl);
    const auto tid = request_tid(request, stun::Method::kBinding);
    DtlsServer::write_record(ssl, channel_data_frame(0x4000, bytes_of_text("abc"), /*pad=*/false));
    DtlsServer::write_record(ssl, data_indication(peer, bytes_of_text("over dtls")));
    DtlsServer::write_record(ssl, binding_success(tid));
    const Bytes cd = DtlsServer::read_record(ssl);
    expect(cd == channel_data_frame(0x4001, bytes_of_text("12345"), false),
           "DTLS ChannelData padded");
    const Bytes raw = DtlsServer::read_record(ssl);
    expect(raw == Bytes{0xFF, 0xFE}, "send_raw over DTLS");
    SSL_shutdown(ssl);
  });

  TurnClient c(server.address(), "alice", "alice-pass", over(Transport::kDtls, verifying(pki)));
  CHECK(c.transport() == Transport::kDtls);
  CHECK(c.stream() == nullptr);
  REQUIRE(c.connection() != nullptr);
  CHECK(c.tls_version() == "DTLSv1.2");
  CHECK(c.peer_chain_length() == 2);
  CHECK_THROWS_AS(c.open_data_connection(), std::logic_error);

  CHECK(c.request(stun::Method::kBinding, {}, no_auth()).is_success());
  auto cd = c.receive_relayed();
  REQUIRE(cd);
  CHECK(cd->channel);
  CHECK(cd->data == bytes_of_text("abc"));
  auto data = c.receive_relayed();
  REQUIRE(data);
  CHECK(data->peer == peer);
  CHECK(data->data == bytes_of_text("over dtls"));
  c.send_channel_data(0x4001, bytes_of_text("12345"));
  c.send_raw(Bytes{0xFF, 0xFE});
  CHECK(c.closed_by_server());
  CHECK(c.connection()->close_reason() == "close_notify");
  CHECK_FALSE(c.connected());
  CHECK(server.join().empty());
  CHECK(server.handshakes() == 1);
  CHECK(cookies_verified == (cookie_round ? 1 : 0));
}

TEST_CASE("dtls client: a handshake nobody answers fails within its timeout") {
  UdpSocket silent;  // receives the ClientHellos, never answers
  const auto start = Clock::now();
  CHECK_THROWS_AS(DtlsConnection::connect(silent.local(), {}, 300ms), std::runtime_error);
  CHECK(Clock::now() - start < 1500ms);
  CHECK(silent.receive(Millis{0}));  // a ClientHello did go out
}

TEST_CASE("TcpEchoPeer: echoes every connection, follows closes, stops promptly") {
  auto echo = std::make_unique<TcpEchoPeer>();
  auto a = StreamConnection::connect(echo->address());
  auto b = StreamConnection::connect(echo->address());

  // More than a socket buffer, written in uneven pieces.
  const Bytes big = payload_of(200000, 3);
  for (std::size_t off = 0; off < big.size();) {
    const std::size_t n = std::min<std::size_t>(big.size() - off, 1 + off % 7001);
    a->write(stun::Bytes(big).subspan(off, n));
    off += n;
  }
  b->write(bytes_of_text("ping"));
  CHECK(b->read_exactly(4) == bytes_of_text("ping"));
  CHECK(a->read_exactly(big.size(), 5000ms) == big);
  CHECK(echo->accepted() == 2);
  CHECK(
      eventually([&] { return echo->bytes_echoed() == big.size() + 4; }));  // counted after send()
  const auto remotes = echo->remotes();
  CHECK(std::find(remotes.begin(), remotes.end(), a->local()) != remotes.end());
  CHECK(std::find(remotes.begin(), remotes.end(), b->local()) != remotes.end());

  // Half-close: what was sent comes back, then the peer closes too.
  b->write(bytes_of_text("last"));
  b->close_write();
  CHECK(b->read_exactly(4) == bytes_of_text("last"));
  CHECK(b->closed_by_peer());
  CHECK(wait_until([&] { return echo->open_connections() == 1; }));

  // The peer hangs up on everyone (RFC 6062 §5.5 from the peer's side).
  echo->close_connections();
  CHECK(a->closed_by_peer());
  CHECK(echo->open_connections() == 0);

  // Still listening; and the destructor does not wait for open connections.
  auto c = StreamConnection::connect(echo->address());
  c->write(bytes_of_text("x"));
  CHECK(c->read_exactly(1) == bytes_of_text("x"));
  const auto start = Clock::now();
  echo.reset();
  CHECK(Clock::now() - start < 1000ms);
  CHECK(c->closed_by_peer());
}

TEST_CASE("TcpListenerPeer: accept times out, close() refuses new connections") {
  TcpListenerPeer listener;
  CHECK(listener.accept(50ms) == nullptr);
  auto client = StreamConnection::connect(listener.address());
  auto server = listener.accept();
  REQUIRE(server);
  CHECK(server->peer() == client->local());
  const auto address = listener.address();
  listener.close();
  CHECK_THROWS_AS(StreamConnection::connect(address), std::runtime_error);
}

TEST_SUITE_END();
