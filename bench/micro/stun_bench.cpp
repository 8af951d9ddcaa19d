// Micro-benchmarks of what a TURN server does per packet: parse an authenticated Allocate,
// build and sign its success response, verify MESSAGE-INTEGRITY(-SHA256), parse ChannelData and
// cut frames from a TCP stream. Inputs are built once, outside the timed loops.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "stun/stun.hpp"

namespace {

using namespace stun;

constexpr TransactionId kTid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

const Md5Key& key() {
  static const Md5Key k = long_term_key_md5("alice", "example.org", "secret");
  return k;
}

std::vector<std::uint8_t> finish(const MessageBuilder& b) {
  auto out = b.finish();
  if (!out)
    throw std::runtime_error("benchmark input does not build");
  return {out->begin(), out->end()};
}

/// An Allocate request as a browser sends it after the 401 challenge (RFC 8656 §7.1).
std::vector<std::uint8_t> allocate_request(bool sha256) {
  std::array<std::uint8_t, 512> buf{};
  MessageBuilder b(buf, pack_type(Method::kAllocate, Class::kRequest), kTid);
  b.add(attr::kUsername, "1700000000:alice")
      .add(attr::kRealm, "example.org")
      .add(attr::kNonce, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA")
      .add(attr::kRequestedTransport, kTransportUdp)
      .add(attr::kLifetime, 600);
  if (sha256) {
    b.add_integrity_sha256(key());
  } else {
    b.add_integrity_sha1(key());
  }
  b.add_fingerprint();
  return finish(b);
}

void BM_ParseAllocateRequest(benchmark::State& state) {
  const auto wire = allocate_request(false);
  for (auto _ : state) {
    auto m = MessageView::parse(wire);
    auto user = m->get(attr::kUsername);
    auto realm = m->get(attr::kRealm);
    auto nonce = m->get(attr::kNonce);
    auto transport = m->get(attr::kRequestedTransport);
    auto lifetime = m->get(attr::kLifetime);
    benchmark::DoNotOptimize(user);
    benchmark::DoNotOptimize(realm);
    benchmark::DoNotOptimize(nonce);
    benchmark::DoNotOptimize(transport);
    benchmark::DoNotOptimize(lifetime);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_ParseAllocateRequest);

void BM_BuildSignedAllocateResponse(benchmark::State& state) {
  const auto request_wire = allocate_request(false);
  const auto request = MessageView::parse(request_wire);
  const auto relayed = SocketAddress::v4({203, 0, 113, 5}, 49152);
  const auto mapped = SocketAddress::v4({198, 51, 100, 7}, 61000);
  std::array<std::uint8_t, 512> buf{};
  for (auto _ : state) {
    auto b = MessageBuilder::response_to(buf, *request, Class::kSuccess);
    b.add(attr::kXorRelayedAddress, relayed)
        .add(attr::kXorMappedAddress, mapped)
        .add(attr::kLifetime, 600)
        .add_integrity_sha1(key())
        .add_fingerprint();
    auto out = b.finish();
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BuildSignedAllocateResponse);

void BM_VerifyIntegritySha1(benchmark::State& state) {
  const auto wire = allocate_request(false);
  const auto m = MessageView::parse(wire);
  for (auto _ : state) {
    bool ok = verify_integrity_sha1(*m, key());
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_VerifyIntegritySha1);

void BM_VerifyIntegritySha256(benchmark::State& state) {
  const auto wire = allocate_request(true);
  const auto m = MessageView::parse(wire);
  for (auto _ : state) {
    bool ok = verify_integrity_sha256(*m, key());
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_VerifyIntegritySha256);

void BM_VerifyFingerprint(benchmark::State& state) {
  const auto wire = allocate_request(false);
  const auto m = MessageView::parse(wire);
  for (auto _ : state) {
    bool ok = verify_fingerprint(*m);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_VerifyFingerprint);

void BM_ParseChannelData(benchmark::State& state) {
  // A typical audio packet: 160 bytes of payload on channel 0x4001.
  std::vector<std::uint8_t> wire(channel_data_size(160, false), 0xAB);
  write_channel_data_header(wire.data(), 0x4001, 160);
  for (auto _ : state) {
    auto cd = ChannelDataView::parse(wire);
    benchmark::DoNotOptimize(cd);
  }
}
BENCHMARK(BM_ParseChannelData);

void BM_StreamFramer(benchmark::State& state) {
  // A TCP buffer of mixed frames: ChannelData of several sizes and STUN requests, 64 frames.
  std::vector<std::uint8_t> stream;
  const auto request = allocate_request(false);
  std::size_t frames = 0;
  for (std::size_t i = 0; i < 64; ++i, ++frames) {
    if (i % 8 == 0) {
      stream.insert(stream.end(), request.begin(), request.end());
      continue;
    }
    const std::size_t payload = 100 + 37 * (i % 5);
    std::vector<std::uint8_t> cd(channel_data_size(payload, true), 0xCD);
    write_channel_data_header(cd.data(), static_cast<std::uint16_t>(0x4000 + i),
                              static_cast<std::uint16_t>(payload));
    stream.insert(stream.end(), cd.begin(), cd.end());
  }
  for (auto _ : state) {
    Bytes rest = stream;
    while (!rest.empty()) {
      auto f = next_frame(rest);
      if (!f)
        break;
      benchmark::DoNotOptimize(f);
      rest = rest.subspan(f->size);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * frames));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_StreamFramer);

}  // namespace
