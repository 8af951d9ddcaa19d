// Stateless nonces (unit).
#include "auth/nonce.hpp"

#include <doctest/doctest.h>

#include "stun/integrity.hpp"

namespace {

using Check = turn::NonceIssuer::Check;

const stun::SocketAddress kClient = stun::SocketAddress::v4({192, 0, 2, 7}, 5000);
constexpr std::uint64_t kNow = 1'700'000'000;

}  // namespace

TEST_CASE("nonce: format is the RFC 8489 cookie, hex time and a MAC") {
  turn::NonceIssuer n(600);
  const std::string nonce = n.issue(kClient, kNow);
  CHECK(nonce.size() == 45);
  CHECK(nonce.rfind("obMatJos2", 0) == 0);
  auto features = stun::nonce_cookie_features(nonce);
  REQUIRE(features);
  CHECK((*features & stun::kFeaturePasswordAlgorithms) != 0);
  CHECK(nonce.find_first_not_of("0123456789abcdef", 13) == std::string::npos);
}

TEST_CASE("nonce: valid for its client until stale-nonce seconds have passed") {
  turn::NonceIssuer n(600);
  const std::string nonce = n.issue(kClient, kNow);
  CHECK(n.check(nonce, kClient, kNow) == Check::kValid);
  CHECK(n.check(nonce, kClient, kNow + 600) == Check::kValid);
  CHECK(n.check(nonce, kClient, kNow + 601) == Check::kStale);
  // The client port is not part of the binding (a NATed client may change it); the IP is.
  auto other_port = kClient;
  other_port.port = 6000;
  CHECK(n.check(nonce, other_port, kNow) == Check::kValid);
  CHECK(n.check(nonce, stun::SocketAddress::v4({192, 0, 2, 8}, 5000), kNow) == Check::kInvalid);
  // A nonce from the future (beyond a little clock slack) is not accepted.
  CHECK(n.check(n.issue(kClient, kNow + 60), kClient, kNow) == Check::kStale);
}

TEST_CASE("nonce: tampering and foreign nonces are invalid") {
  turn::NonceIssuer n(600);
  turn::NonceIssuer other(600);
  const std::string nonce = n.issue(kClient, kNow);
  CHECK(n.check(other.issue(kClient, kNow), kClient, kNow) == Check::kInvalid);
  std::string flipped = nonce;
  flipped[20] = flipped[20] == '0' ? '1' : '0';  // in the time field
  CHECK(n.check(flipped, kClient, kNow) == Check::kInvalid);
  flipped = nonce;
  flipped.back() = flipped.back() == '0' ? '1' : '0';  // in the MAC
  CHECK(n.check(flipped, kClient, kNow) == Check::kInvalid);
  CHECK(n.check(nonce.substr(0, 44), kClient, kNow) == Check::kInvalid);
  CHECK(n.check(nonce + "0", kClient, kNow) == Check::kInvalid);
  CHECK(n.check("", kClient, kNow) == Check::kInvalid);
  std::string not_hex = nonce;
  not_hex[14] = 'x';
  CHECK(n.check(not_hex, kClient, kNow) == Check::kInvalid);
}
