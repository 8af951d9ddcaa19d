// Writes the seed corpora of the fuzz targets: `make_corpus <dir>` fills <dir>/fuzz_message,
// <dir>/fuzz_channel_data, <dir>/fuzz_framer and <dir>/fuzz_worker. The committed fuzz/corpus was
// made with it; rerun it after changing the seeds. Seeds are the RFC test vectors and the messages
// a TURN server typically sees (RFC 8656 §7-§12, RFC 6062, RFC 5780).
#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "rfc_vectors.hpp"
#include "stun/stun.hpp"
#include "test_util.hpp"
#include "worker_records.hpp"

namespace {

using namespace stun;
using Blob = std::vector<std::uint8_t>;

constexpr TransactionId kTid = {0x5e, 0xed, 0x00, 0x01, 0x02, 0x03,
                                0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

const Md5Key& key() {
  static const Md5Key k = long_term_key_md5("alice", "example.org", "secret");
  return k;
}

/// Builds a message with `fill`, then the given integrity attributes.
template <typename F>
Blob build(Method method, Class cls, F&& fill, bool integrity = true, bool fingerprint = true) {
  std::array<std::uint8_t, 2048> buf{};
  MessageBuilder b(buf, pack_type(method, cls), kTid);
  fill(b);
  if (integrity)
    b.add_integrity_sha1(key());
  if (fingerprint)
    b.add_fingerprint();
  auto out = b.finish();
  if (!out)
    throw std::runtime_error(std::string("seed does not build: ") +
                             std::string(to_string(out.error())));
  return {out->begin(), out->end()};
}

void add_credentials(MessageBuilder& b) {
  b.add(attr::kUsername, "alice")
      .add(attr::kRealm, "example.org")
      .add(attr::kNonce, "obMatJos2wAAAf//499k954d6OL34oL9FSTvy64sA");
}

const SocketAddress kPeer4 = SocketAddress::v4({192, 0, 2, 77}, 5000);
const SocketAddress kPeer6 = *SocketAddress::parse("[2001:db8::77]:5000");
const SocketAddress kRelay = SocketAddress::v4({203, 0, 113, 5}, 49152);
const SocketAddress kMapped = SocketAddress::v4({198, 51, 100, 7}, 61000);

std::vector<std::pair<std::string, Blob>> stun_seeds() {
  using stun_test::hex;
  namespace v = stun_test::vectors;
  std::vector<std::pair<std::string, Blob>> seeds = {
      {"rfc5769_request", hex(v::kRfc5769Request)},
      {"rfc5769_ipv4_response", hex(v::kRfc5769Ipv4Response)},
      {"rfc5769_ipv6_response", hex(v::kRfc5769Ipv6Response)},
      {"rfc5769_long_term_request", hex(v::kRfc5769LongTermRequest)},
      {"rfc8489_b1_request", hex(v::kRfc8489Request)},
      {"rfc8489_b1_request_sha256_key", hex(v::kRfc8489RequestSha256Key)},
  };
  const Blob payload = {0x80, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01};
  seeds.emplace_back("binding_request",
                     build(
                         Method::kBinding, Class::kRequest, [](MessageBuilder&) {}, false, false));
  seeds.emplace_back(
      "allocate_unauthenticated",
      build(
          Method::kAllocate, Class::kRequest,
          [](MessageBuilder& b) {
            b.add(attr::kRequestedTransport, kTransportUdp).add(attr::kDontFragment, {});
          },
          false, false));
  seeds.emplace_back("allocate_401", build(
                                         Method::kAllocate, Class::kError,
                                         [](MessageBuilder& b) {
                                           codec::PasswordAlgorithms::Value algorithms;
                                           algorithms.push({kPasswordAlgorithmSha256, {}});
                                           algorithms.push({kPasswordAlgorithmMd5, {}});
                                           b.add(attr::kErrorCode, {401, "Unauthorized"})
                                               .add(attr::kRealm, "example.org")
                                               .add(attr::kNonce, "obMatJos2wAAAnonce")
                                               .add(attr::kPasswordAlgorithms, algorithms)
                                               .add(attr::kSoftware, "turnd");
                                         },
                                         false, true));
  seeds.emplace_back("allocate_authenticated",
                     build(Method::kAllocate, Class::kRequest, [](MessageBuilder& b) {
                       add_credentials(b);
                       b.add(attr::kRequestedTransport, kTransportUdp)
                           .add(attr::kLifetime, 600)
                           .add(attr::kEvenPort, true)
                           .add(attr::kRequestedAddressFamily, kFamilyIpv4)
                           .add(attr::kAdditionalAddressFamily, kFamilyIpv6);
                     }));
  seeds.emplace_back("allocate_success",
                     build(Method::kAllocate, Class::kSuccess, [](MessageBuilder& b) {
                       b.add(attr::kXorRelayedAddress, kRelay)
                           .add(attr::kXorMappedAddress, kMapped)
                           .add(attr::kLifetime, 600)
                           .add(attr::kReservationToken, 0x0102030405060708ull);
                     }));
  seeds.emplace_back("allocate_440", build(Method::kAllocate, Class::kError, [](MessageBuilder& b) {
                       b.add(attr::kErrorCode, {440, "Address Family not Supported"})
                           .add(attr::kAddressErrorCode, {kFamilyIpv6, 440, "No IPv6"});
                     }));
  seeds.emplace_back("refresh_request",
                     build(Method::kRefresh, Class::kRequest, [](MessageBuilder& b) {
                       add_credentials(b);
                       b.add(attr::kLifetime, 0);
                     }));
  seeds.emplace_back("create_permission",
                     build(Method::kCreatePermission, Class::kRequest, [](MessageBuilder& b) {
                       add_credentials(b);
                       b.add(attr::kXorPeerAddress, kPeer4).add(attr::kXorPeerAddress, kPeer6);
                     }));
  seeds.emplace_back("channel_bind",
                     build(Method::kChannelBind, Class::kRequest, [](MessageBuilder& b) {
                       add_credentials(b);
                       b.add(attr::kChannelNumber, 0x4001).add(attr::kXorPeerAddress, kPeer4);
                     }));
  seeds.emplace_back("send_indication", build(
                                            Method::kSend, Class::kIndication,
                                            [&](MessageBuilder& b) {
                                              b.add(attr::kXorPeerAddress, kPeer6)
                                                  .add(attr::kDontFragment, {})
                                                  .add(attr::kData, payload);
                                            },
                                            false, false));
  seeds.emplace_back("data_indication_icmp", build(
                                                 Method::kData, Class::kIndication,
                                                 [&](MessageBuilder& b) {
                                                   b.add(attr::kXorPeerAddress, kPeer4)
                                                       .add(attr::kIcmp, {3, 4, 1400})
                                                       .add(attr::kData, payload);
                                                 },
                                                 false, false));
  seeds.emplace_back("connect_rfc6062",
                     build(Method::kConnect, Class::kRequest, [](MessageBuilder& b) {
                       add_credentials(b);
                       b.add(attr::kXorPeerAddress, kPeer4);
                     }));
  seeds.emplace_back("connection_bind_rfc6062",
                     build(Method::kConnectionBind, Class::kRequest, [](MessageBuilder& b) {
                       add_credentials(b);
                       b.add(attr::kConnectionId, 0xC0FFEE);
                     }));
  seeds.emplace_back(
      "binding_420", build(Method::kBinding, Class::kError, [](MessageBuilder& b) {
        codec::UnknownAttributes::Value unknown;
        unknown.push(0x0024);
        unknown.push(0x7F00);
        unknown.push(0x0031);
        b.add(attr::kErrorCode, {420, "Unknown Attribute"}).add(attr::kUnknownAttributes, unknown);
      }));
  seeds.emplace_back("binding_rfc5780", build(
                                            Method::kBinding, Class::kSuccess,
                                            [&](MessageBuilder& b) {
                                              b.add(attr::kXorMappedAddress, kMapped)
                                                  .add(attr::kMappedAddress, kMapped)
                                                  .add(attr::kResponseOrigin, kRelay)
                                                  .add(attr::kOtherAddress, kPeer6)
                                                  .add(attr::kAlternateServer, kPeer4)
                                                  .add(attr::kAlternateDomain, "turn.example")
                                                  .add(attr::kChangeRequest, kChangeIp)
                                                  .add(attr::kResponsePort, 3479)
                                                  .add(attr::kPadding, payload);
                                            },
                                            false, true));
  seeds.emplace_back("both_macs", build(
                                      Method::kRefresh, Class::kRequest,
                                      [](MessageBuilder& b) {
                                        const Userhash hash = userhash("alice", "example.org");
                                        b.add(attr::kUserhash, hash)
                                            .add(attr::kRealm, "example.org")
                                            .add(attr::kNonce, "obMatJos2wAAAnonce")
                                            .add(attr::kPasswordAlgorithm,
                                                 {kPasswordAlgorithmSha256, {}})
                                            .add(attr::kAccessToken, Blob{1, 2, 3, 4, 5})
                                            .add_integrity_sha1(key())
                                            .add_integrity_sha256(key());
                                      },
                                      false, true));
  // A classic RFC 3489 Binding request: no magic cookie.
  Blob classic(20, 0);
  classic[1] = 0x01;
  for (std::size_t i = 4; i < 20; ++i)
    classic[i] = static_cast<std::uint8_t>(i * 13);
  seeds.emplace_back("classic_rfc3489_binding", classic);
  return seeds;
}

std::vector<std::pair<std::string, Blob>> channel_data_seeds() {
  std::vector<std::pair<std::string, Blob>> seeds;
  for (std::size_t n : {0, 1, 3, 4, 160}) {
    Blob udp(channel_data_size(n, false), 0x11);
    write_channel_data_header(udp.data(), static_cast<std::uint16_t>(0x4000 + n),
                              static_cast<std::uint16_t>(n));
    seeds.emplace_back("udp_" + std::to_string(n), udp);
    Blob padded(channel_data_size(n, true), 0);
    std::copy(udp.begin(), udp.end(), padded.begin());
    seeds.emplace_back("padded_" + std::to_string(n), padded);
  }
  Blob trailing = {0x4F, 0xFF, 0x00, 0x02, 0xAA, 0xBB, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00};
  seeds.emplace_back("trailing_bytes", trailing);
  return seeds;
}

std::vector<std::pair<std::string, Blob>> framer_seeds(
    const std::vector<std::pair<std::string, Blob>>& stun,
    const std::vector<std::pair<std::string, Blob>>& channel_data) {
  // Prefix: cap selector, then four chunk sizes (see fuzz_framer.cpp).
  const Blob prefixes[] = {{0x00, 0x00, 0x06, 0x13, 0xFF}, {0x90, 0x03, 0x00, 0x40, 0x07}};
  std::vector<std::pair<std::string, Blob>> seeds;
  for (std::size_t p = 0; p < std::size(prefixes); ++p) {
    Blob stream = prefixes[p];
    for (std::size_t i = 0; i < stun.size(); i += 3) {
      stream.insert(stream.end(), stun[i].second.begin(), stun[i].second.end());
      const auto& cd = channel_data[(i / 3) % channel_data.size()].second;
      Blob padded(channel_data_size(load_u16(cd.data() + 2), true), 0);
      std::copy(cd.begin(),
                cd.begin() + static_cast<std::ptrdiff_t>(std::min(cd.size(), padded.size())),
                padded.begin());
      stream.insert(stream.end(), padded.begin(), padded.end());
    }
    seeds.emplace_back("mixed_" + std::to_string(p), stream);
  }
  return seeds;
}

/// A request without credentials: fuzz_worker's kSigned* actions add them.
template <typename F>
Blob plain_request(Method method, F&& fill) {
  static std::uint8_t counter = 0;
  TransactionId tid = kTid;
  tid[11] = ++counter;
  std::array<std::uint8_t, 2048> buf{};
  MessageBuilder b(buf, pack_type(method, Class::kRequest), tid);
  fill(b);
  auto out = b.finish();
  if (!out)
    throw std::runtime_error("worker seed does not build");
  return {out->begin(), out->end()};
}

/// Sessions against one worker (worker_records.hpp): allocate, permit, bind, relay both ways,
/// over UDP and TCP, RFC 6062, EVEN-PORT churn, and the unauthenticated and broken requests in
/// between that a server sees.
std::vector<std::pair<std::string, Blob>> worker_seeds() {
  using fuzz_worker::Action;
  using fuzz_worker::add_record;
  const SocketAddress peer = SocketAddress::v4({127, 0, 0, 5}, fuzz_worker::kPeerPorts[0]);
  auto udp = [](MessageBuilder& b) { b.add(attr::kRequestedTransport, kTransportUdp); };
  auto tcp = [](MessageBuilder& b) { b.add(attr::kRequestedTransport, kTransportTcp); };
  const Blob allocate = plain_request(Method::kAllocate, udp);
  const Blob permit = plain_request(Method::kCreatePermission,
                                    [&](MessageBuilder& b) { b.add(attr::kXorPeerAddress, peer); });
  const Blob bind = plain_request(Method::kChannelBind, [&](MessageBuilder& b) {
    b.add(attr::kChannelNumber, std::uint16_t{0x4000});
    b.add(attr::kXorPeerAddress, peer);
  });
  Blob channel_data(4 + 40, 0x5a);
  write_channel_data_header(channel_data.data(), 0x4000, 40);
  Blob from_peer(1 + 40, 0x33);
  from_peer[0] = 0;  // to the first relay address learned
  const Blob send = [&] {
    std::array<std::uint8_t, 256> buf{};
    MessageBuilder b(buf, pack_type(Method::kSend, Class::kIndication), kTid);
    b.add(attr::kXorPeerAddress, peer);
    const std::uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    b.add(attr::kData, Bytes(data, sizeof(data)));
    auto out = b.finish();
    return Blob(out->begin(), out->end());
  }();
  const Blob refresh0 =
      plain_request(Method::kRefresh, [](MessageBuilder& b) { b.add(attr::kLifetime, 0u); });
  const Blob even = plain_request(Method::kAllocate, [&](MessageBuilder& b) {
    udp(b);
    b.add(attr::kEvenPort, true);
  });
  const Blob binding = plain_request(Method::kBinding, [](MessageBuilder&) {});

  std::vector<std::pair<std::string, Blob>> seeds;
  Blob s;
  add_record(s, Action::kDatagram, 0, binding);
  add_record(s, Action::kDatagram, 0, allocate);  // 401
  add_record(s, Action::kSignedDatagram, 0, allocate);
  add_record(s, Action::kSignedDatagram, 0, permit);
  add_record(s, Action::kSignedDatagram, 0, bind);
  add_record(s, Action::kDatagram, 0, channel_data);
  add_record(s, Action::kPeerDatagram, 0, from_peer);
  add_record(s, Action::kDatagram, 0, send);
  add_record(s, Action::kSignedDatagram, 0, refresh0);
  seeds.emplace_back("udp_session", s);

  s.clear();
  add_record(s, Action::kSignedStream, 0, allocate);
  add_record(s, Action::kSignedStream, 0, bind);
  Blob padded = channel_data;
  add_record(s, Action::kStreamBytes, 0, padded);
  add_record(s, Action::kPeerDatagram, 1, from_peer);
  add_record(s, Action::kCloseStream, 0, {});
  seeds.emplace_back("tcp_session", s);

  s.clear();
  const Blob tcp_allocate = plain_request(Method::kAllocate, tcp);
  const Blob connect = plain_request(
      Method::kConnect, [&](MessageBuilder& b) { b.add(attr::kXorPeerAddress, peer); });
  const Blob connection_bind = plain_request(
      Method::kConnectionBind, [](MessageBuilder& b) { b.add(attr::kConnectionId, 0x00000001u); });
  add_record(s, Action::kSignedStream, 0, tcp_allocate);
  add_record(s, Action::kSignedStream, 0, permit);
  add_record(s, Action::kSignedStream, 0, connect);
  add_record(s, Action::kSignedStream, 1, connection_bind);
  const Blob to_first_relay = {0, 'h', 'i'};
  add_record(s, Action::kPeerConnect, 0, to_first_relay);
  seeds.emplace_back("rfc6062_session", s);

  s.clear();
  for (int i = 0; i < 6; ++i) {
    add_record(s, Action::kSignedDatagram, 1, even);
    add_record(s, Action::kSignedDatagram, 1, refresh0);
  }
  seeds.emplace_back("even_port_churn", s);

  s.clear();
  for (int i = 0; i < 8; ++i)
    add_record(s, Action::kDatagram, 2, allocate);  // past the 401 budget
  const Blob forged = build(Method::kAllocate, Class::kRequest, udp, true, false);
  for (int i = 0; i < 4; ++i)
    add_record(s, Action::kDatagram, 3, forged);
  const Blob garbage = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  add_record(s, Action::kDatagram, 3, garbage);
  add_record(s, Action::kStreamBytes, 1, garbage);
  for (int i = 0; i < 4; ++i)
    add_record(s, Action::kWrongPassword, 1, allocate);  // the third bans 127.0.0.2
  add_record(s, Action::kSignedDatagram, 1, allocate);
  seeds.emplace_back("unauthenticated", s);
  return seeds;
}

void write_all(const std::filesystem::path& dir,
               const std::vector<std::pair<std::string, Blob>>& seeds) {
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : seeds) {
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  std::cout << dir.string() << ": " << seeds.size() << " seeds\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus <corpus-dir>\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const auto stun = stun_seeds();
  const auto channel_data = channel_data_seeds();
  // Every STUN seed must be a valid message, or it seeds nothing beyond the header checks.
  for (const auto& [name, bytes] : stun) {
    if (!MessageView::parse(bytes)) {
      std::cerr << name << " does not parse\n";
      return 1;
    }
  }
  write_all(root / "fuzz_message", stun);
  write_all(root / "fuzz_channel_data", channel_data);
  write_all(root / "fuzz_framer", framer_seeds(stun, channel_data));
  write_all(root / "fuzz_worker", worker_seeds());
  return 0;
}
