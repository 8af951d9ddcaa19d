#include "support/stream_test_util.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace turntest {

stun::SocketAddress ipv6_loopback(std::uint16_t port) {
  stun::SocketAddress a = *stun::SocketAddress::parse_ip("::1");
  a.port = port;
  return a;
}

namespace {

stun::SocketAddress first_of(const std::vector<stun::SocketAddress>& list, std::uint8_t family,
                             const char* what) {
  for (const auto& a : list) {
    if (a.family == family)
      return a;
  }
  throw std::runtime_error(std::string("the test server has no ") + what + " listener of family " +
                           std::to_string(family));
}

}  // namespace

stun::SocketAddress udp_listener(TestServer& server, std::uint8_t family) {
  return first_of(server.server().listeners(), family, "UDP");
}

stun::SocketAddress stream_listener(TestServer& server, std::uint8_t family) {
  return first_of(server.server().stream_listeners(), family, "TCP");
}

turn::Config dual_stack_config() {
  turn::Config c = test_config();
  c.listening_ips = {loopback(), ipv6_loopback()};
  return c;
}

turn::Config tls_config(const TestPki& pki) {
  turn::Config c = test_config();
  c.cert = pki.write_bundle();
  c.tls_listening_port = 0;  // TLS on the kernel-chosen plain port only: no fixed 5349
  return c;
}

std::unique_ptr<TurnClient> stream_client(TestServer& server, Transport transport,
                                          const std::string& user, const std::string& password,
                                          std::uint8_t family) {
  return std::make_unique<TurnClient>(stream_listener(server, family), user, password, transport);
}

std::vector<std::uint8_t> binding_request(const stun::TransactionId& tid) {
  std::vector<std::uint8_t> buf(512);
  stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kBinding, stun::Class::kRequest), tid);
  auto out = b.finish();
  if (!out)
    throw std::runtime_error("cannot build a Binding request");
  return {out->begin(), out->end()};
}

std::optional<Message> next_stun(StreamConnection& stream, stun::Method method, stun::Class cls,
                                 Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto frame = stream.next_frame(left);
    if (!frame)
      return std::nullopt;
    auto v = stun::MessageView::parse(*frame);
    if (v && v->method() == method && v->message_class() == cls)
      return Message(std::move(*frame));
  }
}

std::vector<stun::SocketAddress> relayed_addresses(const Message& response) {
  std::vector<stun::SocketAddress> out;
  const auto v = response.view();
  for (const auto& ref : v.attributes()) {
    if (ref.type != static_cast<std::uint16_t>(stun::AttrType::kXorRelayedAddress))
      continue;
    auto a = v.decode(stun::attr::kXorRelayedAddress, ref);
    if (!a)
      throw std::runtime_error("undecodable XOR-RELAYED-ADDRESS");
    out.push_back(*a);
  }
  return out;
}

bool peer_certificate_is(SSL* ssl, const std::string& pem) {
  if (ssl == nullptr)
    return false;
  X509* peer = SSL_get1_peer_certificate(ssl);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* expected = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  const bool same = peer != nullptr && expected != nullptr && X509_cmp(peer, expected) == 0;
  X509_free(expected);
  BIO_free(bio);
  X509_free(peer);
  return same;
}

}  // namespace turntest
