// Stateless nonces (unit).
#include "auth/nonce.hpp"

#include <doctest/doctest.h>

#include "stun/integrity.hpp"

namespace {

using Check = turn::NonceIssuer::Check;

const stun::SocketAddress kClient = stun::SocketAddress::v4({192, 0, 2, 7}, 5000);
constexpr std::uint64_t kNow = 1'700'000'000;

}  // namespace

TEST_CASE("nonce: format is the RFC 8489 cookie, then base64url of the time and a MAC") {
  turn::NonceIssuer n(600);
  const std::string nonce = n.issue(kClient, kNow);
  CHECK(nonce.size() == 28);  // 13 + 15: the 401 every unauthenticated request gets stays small
  CHECK(nonce.rfind("obMatJos2", 0) == 0);
  auto features = stun::nonce_cookie_features(nonce);
  REQUIRE(features);
  CHECK((*features & stun::kFeaturePasswordAlgorithms) != 0);
  CHECK(nonce.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                                13) == std::string::npos);
  // Two clients, or two seconds, never share a nonce.
  CHECK(n.issue(kClient, kNow + 1) != nonce);
  CHECK(n.issue(stun::SocketAddress::v4({192, 0, 2, 8}, 5000), kNow) != nonce);
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

TEST_CASE("nonce: the 24-bit time field wraps without reviving old nonces") {
  turn::NonceIssuer n(600);
  // Issued just before the field wraps, checked just after: 20 s old, valid.
  const std::uint64_t before_wrap = (std::uint64_t{1} << 24) * 103 - 10;
  CHECK(n.check(n.issue(kClient, before_wrap), kClient, before_wrap + 20) == Check::kValid);
  CHECK(n.check(n.issue(kClient, before_wrap), kClient, before_wrap + 611) == Check::kStale);
}

TEST_CASE("nonce: tampering and foreign nonces are invalid") {
  turn::NonceIssuer n(600);
  turn::NonceIssuer other(600);
  const std::string nonce = n.issue(kClient, kNow);
  CHECK(n.check(other.issue(kClient, kNow), kClient, kNow) == Check::kInvalid);
  // Every character after the cookie carries the time or the MAC: changing any one of them
  // invalidates the nonce.
  for (std::size_t i = 13; i < nonce.size(); ++i) {
    CAPTURE(i);
    std::string flipped = nonce;
    flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
    CHECK(n.check(flipped, kClient, kNow) == Check::kInvalid);
  }
  CHECK(n.check(nonce.substr(0, 27), kClient, kNow) == Check::kInvalid);
  CHECK(n.check(nonce + "A", kClient, kNow) == Check::kInvalid);
  CHECK(n.check("", kClient, kNow) == Check::kInvalid);
  std::string not_base64 = nonce;
  not_base64[14] = '=';
  CHECK(n.check(not_base64, kClient, kNow) == Check::kInvalid);
}
