// Small helpers for the TCP/TLS, RFC 6062 and dual-allocation tests: picking a listener of one
// family, building a TLS-enabled configuration, raw STUN requests for framing tests, and reading
// the server's indications (ConnectionAttempt) off a stream.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "stun/stun.hpp"
#include "support/test_cert.hpp"
#include "support/test_server.hpp"
#include "support/turn_client.hpp"

namespace turntest {

/// [::1]:port.
stun::SocketAddress ipv6_loopback(std::uint16_t port = 0);

/// The server's first UDP listener of `family` (stun::kFamilyIpv4/kFamilyIpv6); throws when it
/// has none.
stun::SocketAddress udp_listener(TestServer& server, std::uint8_t family = stun::kFamilyIpv4);
/// The same for the TCP/TLS listeners (never assume they share the UDP port).
stun::SocketAddress stream_listener(TestServer& server, std::uint8_t family = stun::kFamilyIpv4);

/// test_config() listening on 127.0.0.1 and ::1.
turn::Config dual_stack_config();
/// test_config() with `pki`'s bundle as `cert` (TLS on the plain TCP port).
turn::Config tls_config(const TestPki& pki);

/// A TurnClient over `transport` (kTcp or kTls) to the server's first stream listener of
/// `family`.
std::unique_ptr<TurnClient> stream_client(TestServer& server, Transport transport,
                                          const std::string& user = "alice",
                                          const std::string& password = "alice-pass",
                                          std::uint8_t family = stun::kFamilyIpv4);

/// An unauthenticated Binding request's bytes.
std::vector<std::uint8_t> binding_request(const stun::TransactionId& tid);

/// The next STUN message of `method` and class `cls` on `stream`, skipping anything else
/// (ChannelData, other STUN); nullopt when none arrives within `timeout`.
std::optional<Message> next_stun(StreamConnection& stream, stun::Method method, stun::Class cls,
                                 Millis timeout = kReplyTimeout);

/// Every XOR-RELAYED-ADDRESS of a (dual) Allocate response, in order.
std::vector<stun::SocketAddress> relayed_addresses(const Message& response);

/// The server certificate a TLS connection received; compares it with `pem` (X509_cmp).
bool peer_certificate_is(SSL* ssl, const std::string& pem);

}  // namespace turntest
