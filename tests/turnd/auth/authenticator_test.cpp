// Long-term credentials (RFC 8489 §9.2): over the wire against a running server, and the
// Authenticator on its own.
#include "auth/authenticator.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "support/printers.hpp"
#include "support/test_server.hpp"
#include "userdb/snapshot.hpp"

using namespace turntest;

namespace {

void add_transport(stun::MessageBuilder& b) {
  b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
}

/// Gets REALM and NONCE from a first unauthenticated Allocate.
Message challenge(TurnClient& c) {
  Message r = c.request(stun::Method::kAllocate, add_transport, no_auth());
  auto v = r.view();
  c.set_realm(std::string(v.get(stun::attr::kRealm).value_or("")));
  c.set_nonce(std::string(v.get(stun::attr::kNonce).value_or("")));
  return r;
}

RequestOptions no_retry(Auth auth = Auth::kMd5) {
  RequestOptions o;
  o.auth = auth;
  o.retry = false;
  return o;
}

std::string hex(const stun::Md5Key& key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "0x";
  for (auto b : key) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xF]);
  }
  return s;
}

}  // namespace

TEST_CASE("auth: the first Allocate is challenged with 401, REALM, NONCE, PASSWORD-ALGORITHMS") {
  TestServer server;
  TurnClient c(server.address());
  const Message r = challenge(c);
  REQUIRE(r.cls() == stun::Class::kError);
  CHECK(r.error_code() == 401);
  auto v = r.view();
  CHECK(v.get(stun::attr::kRealm).value_or("") == kRealm);
  auto nonce = v.get(stun::attr::kNonce);
  REQUIRE(nonce);
  // RFC 8489 §9.2: the cookie announcing the RFC 8489 security features.
  CHECK(nonce->substr(0, 9) == "obMatJos2");
  auto features = stun::nonce_cookie_features(*nonce);
  REQUIRE(features);
  CHECK((*features & stun::kFeaturePasswordAlgorithms) != 0);
  auto algorithms = v.get(stun::attr::kPasswordAlgorithms);
  REQUIRE(algorithms);
  REQUIRE(algorithms->size() == 2);
  CHECK((*algorithms)[0].algorithm == stun::kPasswordAlgorithmMd5);
  CHECK((*algorithms)[1].algorithm == stun::kPasswordAlgorithmSha256);
  // Challenges are never signed.
  CHECK_FALSE(v.has(stun::AttrType::kMessageIntegrity));
  CHECK_FALSE(v.has(stun::AttrType::kMessageIntegritySha256));
  CHECK(server.totals().auth_failures == 0);
  CHECK(server.totals().allocations_created == 0);
}

TEST_CASE("auth: every TURN method needs credentials") {
  TestServer server;
  TurnClient c(server.address());
  for (auto method :
       {stun::Method::kRefresh, stun::Method::kCreatePermission, stun::Method::kChannelBind}) {
    const Message r = c.request(method, {}, no_auth());
    CHECK(r.error_code() == 401);
    CHECK(r.has(stun::AttrType::kNonce));
  }
}

TEST_CASE("auth: a success response carries a MESSAGE-INTEGRITY made with the user's key") {
  TestServer server;
  TurnClient c(server.address());
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  CHECK(r.has(stun::AttrType::kMessageIntegrity));
  CHECK_FALSE(r.has(stun::AttrType::kMessageIntegritySha256));
  CHECK(c.verify(r, Auth::kMd5));
  // The same check with another key fails: the attribute really is an HMAC over the response.
  TurnClient other(server.address(), "alice", "not-the-password");
  other.set_realm(c.realm());
  CHECK_FALSE(other.verify(r, Auth::kMd5));
  // Error responses to authenticated requests are signed too (RFC 8489 §9.2.4).
  const Message again = c.allocate();
  CHECK(again.error_code() == 437);
  CHECK(c.verify(again, Auth::kMd5));
}

TEST_CASE("auth: a wrong password gets 401 and counts an auth failure") {
  TestServer server;
  TurnClient c(server.address(), "alice", "wrong");
  challenge(c);
  const Message r = c.allocate({}, no_retry());
  CHECK(r.error_code() == 401);
  CHECK(r.has(stun::AttrType::kNonce));
  CHECK(r.has(stun::AttrType::kRealm));
  CHECK_FALSE(r.has(stun::AttrType::kMessageIntegrity));
  CHECK(server.totals().auth_failures == 1);
  CHECK(server.totals().allocations_created == 0);
}

TEST_CASE("auth: an unknown user gets 401") {
  TestServer server;
  TurnClient c(server.address(), "mallory", "whatever");
  challenge(c);
  const Message r = c.allocate({}, no_retry());
  CHECK(r.error_code() == 401);
  CHECK(server.totals().auth_failures == 1);
  CHECK(server.totals().allocations_created == 0);
}

TEST_CASE("auth: a wrong realm gets 401") {
  TestServer server;
  TurnClient c(server.address());
  challenge(c);
  c.set_realm("other.realm");
  const Message r = c.allocate({}, no_retry());
  CHECK(r.error_code() == 401);
  CHECK(server.totals().allocations_created == 0);
}

TEST_CASE("auth: integrity without REALM or NONCE gets 400") {
  TestServer server;
  TurnClient c(server.address());
  challenge(c);
  const auto key = c.key_md5();
  auto send = [&](bool with_realm, bool with_nonce) {
    const auto tid = random_tid();
    std::vector<std::uint8_t> buf(512);
    stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kAllocate, stun::Class::kRequest),
                           tid);
    add_transport(b);
    b.add(stun::attr::kUsername, "alice");
    if (with_realm)
      b.add(stun::attr::kRealm, c.realm());
    if (with_nonce)
      b.add(stun::attr::kNonce, c.nonce());
    b.add_integrity_sha1(key);
    auto bytes = b.finish();
    REQUIRE(bytes);
    return c.exchange({bytes->begin(), bytes->end()}, tid);
  };
  auto no_realm = send(false, true);
  REQUIRE(no_realm);
  CHECK(no_realm->error_code() == 400);
  auto no_nonce = send(true, false);
  REQUIRE(no_nonce);
  CHECK(no_nonce->error_code() == 400);
  CHECK(server.totals().allocations_created == 0);
  // The same request with both is accepted: the 400s were about the missing attributes.
  auto both = send(true, true);
  REQUIRE(both);
  CHECK(both->is_success());
}

TEST_CASE("auth: a forged nonce gets 438 with a fresh NONCE that then works") {
  TestServer server;
  TurnClient c(server.address());
  challenge(c);
  std::string forged = c.nonce();
  REQUIRE(forged.size() > 20);
  forged.back() = forged.back() == 'a' ? 'b' : 'a';  // break the MAC
  c.set_nonce(forged);
  const Message r = c.allocate({}, no_retry());
  REQUIRE(r.error_code() == 438);
  auto fresh = r.view().get(stun::attr::kNonce);
  REQUIRE(fresh);
  CHECK(*fresh != forged);
  CHECK(fresh->substr(0, 9) == "obMatJos2");
  CHECK(r.view().get(stun::attr::kRealm).value_or("") == kRealm);
  CHECK(server.totals().allocations_created == 0);

  c.set_nonce(std::string(*fresh));
  const Message ok = c.allocate({}, no_retry());
  CHECK(ok.is_success());

  // A nonce of another length entirely is no better.
  TurnClient d(server.address());
  challenge(d);
  d.set_nonce("obMatJos2AAAAnonsense");
  CHECK(d.allocate({}, no_retry()).error_code() == 438);
}

TEST_CASE("auth: an expired nonce gets 438 (stale-nonce)") {
  auto config = test_config();
  config.stale_nonce = 1;
  TestServer server(config);
  TurnClient c(server.address());
  challenge(c);
  const std::string old = c.nonce();
  std::this_thread::sleep_for(2100ms);
  const Message r = c.allocate({}, no_retry());
  REQUIRE(r.error_code() == 438);
  auto fresh = r.view().get(stun::attr::kNonce);
  REQUIRE(fresh);
  CHECK(*fresh != old);
  c.set_nonce(std::string(*fresh));
  CHECK(c.allocate({}, no_retry()).is_success());
}

TEST_CASE("auth: SHA-256 (PASSWORD-ALGORITHM + MESSAGE-INTEGRITY-SHA256) is answered in kind") {
  TestServer server;
  TurnClient c(server.address());
  RequestOptions sha;
  sha.auth = Auth::kSha256;
  const Message r = c.allocate({}, sha);
  REQUIRE(r.is_success());
  CHECK(r.has(stun::AttrType::kMessageIntegritySha256));
  CHECK_FALSE(r.has(stun::AttrType::kMessageIntegrity));
  CHECK(c.verify(r, Auth::kSha256));
  // Further requests on the allocation with SHA-256 work too.
  const Message refresh = c.refresh(600, sha);
  REQUIRE(refresh.is_success());
  CHECK(c.verify(refresh, Auth::kSha256));
}

TEST_CASE("auth: PASSWORD-ALGORITHMS that do not echo the server's list get 400") {
  TestServer server;
  TurnClient c(server.address());
  challenge(c);
  const auto tid = random_tid();
  std::vector<std::uint8_t> buf(512);
  stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kAllocate, stun::Class::kRequest), tid);
  add_transport(b);
  b.add(stun::attr::kUsername, "alice");
  b.add(stun::attr::kRealm, c.realm());
  b.add(stun::attr::kNonce, c.nonce());
  stun::codec::PasswordAlgorithms::Value list;
  list.push({stun::kPasswordAlgorithmSha256, {}});  // a downgrade-protection mismatch
  b.add(stun::attr::kPasswordAlgorithms, list);
  b.add(stun::attr::kPasswordAlgorithm, {stun::kPasswordAlgorithmSha256, {}});
  const auto key = c.key_sha256();
  b.add_integrity_sha256(key);
  auto bytes = b.finish();
  REQUIRE(bytes);
  auto r = c.exchange({bytes->begin(), bytes->end()}, tid);
  REQUIRE(r);
  CHECK(r->error_code() == 400);
  CHECK(server.totals().allocations_created == 0);
}

TEST_CASE("auth: USERHASH instead of USERNAME") {
  TestServer server;
  TurnClient c(server.address(), "bob", "bob-pass");
  RequestOptions hashed;
  hashed.userhash = true;
  SUBCASE("with MESSAGE-INTEGRITY") {
    const Message r = c.allocate({}, hashed);
    REQUIRE(r.is_success());
    CHECK(c.verify(r, Auth::kMd5));
  }
  SUBCASE("with MESSAGE-INTEGRITY-SHA256") {
    hashed.auth = Auth::kSha256;
    const Message r = c.allocate({}, hashed);
    REQUIRE(r.is_success());
    CHECK(c.verify(r, Auth::kSha256));
  }
  SUBCASE("an unknown USERHASH is refused") {
    TurnClient stranger(server.address(), "nobody", "bob-pass");
    const Message r = stranger.allocate({}, hashed);
    CHECK(r.error_code() == 401);
    CHECK(server.totals().allocations_created == 0);
  }
}

TEST_CASE("auth: user=name:0x<md5 key> users authenticate with the password's key") {
  auto config = test_config();
  config.users.push_back({"carol", hex(stun::long_term_key_md5("carol", kRealm, "carol-pass"))});
  TestServer server(config);
  TurnClient c(server.address(), "carol", "carol-pass");
  const Message r = c.allocate();
  REQUIRE(r.is_success());
  CHECK(c.verify(r));
  // No SHA-256 key can be derived from an MD5 key: SHA-256 is refused for such a user.
  TurnClient sha(server.address(), "carol", "carol-pass");
  RequestOptions o;
  o.auth = Auth::kSha256;
  const Message refused = sha.allocate({}, o);
  CHECK(refused.error_code() == 401);
  // A wrong password does not match the stored key either.
  TurnClient wrong(server.address(), "carol", "carol-wrong");
  CHECK(wrong.allocate().error_code() == 401);
}

TEST_CASE("auth: requests on an allocation must use the allocating user's credentials (441)") {
  TestServer server;
  TurnClient c(server.address());
  REQUIRE(c.allocate().is_success());
  c.set_user("bob");
  c.set_password("bob-pass");
  const Message r = c.refresh(600);
  CHECK(r.error_code() == 441);  // RFC 8656 §5
  CHECK(c.verify(r));
}

TEST_CASE("auth: no-auth serves TURN without credentials") {
  auto config = test_config();
  config.no_auth = true;
  config.lt_cred_mech = false;
  TestServer server(config);
  TurnClient c(server.address());
  const Message r = c.allocate({}, no_auth());
  REQUIRE(r.is_success());
  CHECK_FALSE(r.has(stun::AttrType::kMessageIntegrity));
}

// ---------------------------------------------------------------------------------------------
// Unit: Authenticator::check on hand-built requests.

namespace {

struct AuthFixture {
  turn::NonceIssuer nonces{600};
  std::shared_ptr<turn::UserDbSnapshot> db = std::make_shared<turn::UserDbSnapshot>();
  turn::Authenticator auth{"realm.test", nonces, db};
  stun::SocketAddress client = loopback(4000);
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(512);

  AuthFixture() { db->add_user("realm.test", "alice", "pw"); }

  stun::MessageView message(const std::string& user, const std::string& realm,
                            const std::string& nonce, const std::string& password) {
    stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kAllocate, stun::Class::kRequest),
                           random_tid());
    b.add(stun::attr::kUsername, user);
    b.add(stun::attr::kRealm, realm);
    b.add(stun::attr::kNonce, nonce);
    b.add_integrity_sha1(stun::long_term_key_md5(user, realm, password));
    auto bytes = b.finish();
    REQUIRE(bytes);
    auto v = stun::MessageView::parse(*bytes);
    REQUIRE(v);
    return *v;
  }
};

}  // namespace

TEST_CASE("authenticator: outcomes of check()") {
  AuthFixture f;
  const std::uint64_t now = 1'700'000'000;
  const std::string nonce = f.nonces.issue(f.client, now);
  using Kind = turn::AuthOutcome::Kind;

  SUBCASE("valid credentials") {
    auto o = f.auth.check(f.message("alice", "realm.test", nonce, "pw"), f.client, now);
    CHECK(o.kind == Kind::kOk);
    CHECK(o.user == "alice");
    REQUIRE(o.key_len == 16);
    const auto key = stun::long_term_key_md5("alice", "realm.test", "pw");
    CHECK(std::equal(key.begin(), key.end(), o.key.begin()));
    CHECK_FALSE(o.sha256);
  }
  SUBCASE("wrong password") {
    auto o = f.auth.check(f.message("alice", "realm.test", nonce, "no"), f.client, now);
    CHECK(o.kind == Kind::kUnauthorized);
    CHECK(o.user == "alice");
  }
  SUBCASE("unknown user") {
    auto o = f.auth.check(f.message("zed", "realm.test", nonce, "pw"), f.client, now);
    CHECK(o.kind == Kind::kUnauthorized);
  }
  SUBCASE("wrong realm") {
    auto o = f.auth.check(f.message("alice", "other", nonce, "pw"), f.client, now);
    CHECK(o.kind == Kind::kUnauthorized);
  }
  SUBCASE("nonce of another client address") {
    auto o = f.auth.check(f.message("alice", "realm.test", nonce, "pw"),
                          stun::SocketAddress::v4({127, 0, 0, 2}, 4000), now);
    CHECK(o.kind == Kind::kStale);
  }
  SUBCASE("expired nonce") {
    auto o = f.auth.check(f.message("alice", "realm.test", nonce, "pw"), f.client, now + 601);
    CHECK(o.kind == Kind::kStale);
  }
  SUBCASE("no integrity at all") {
    stun::MessageBuilder b(f.buf, stun::pack_type(stun::Method::kAllocate, stun::Class::kRequest),
                           random_tid());
    b.add(stun::attr::kUsername, "alice");
    auto bytes = b.finish();
    REQUIRE(bytes);
    auto v = stun::MessageView::parse(*bytes);
    REQUIRE(v);
    CHECK(f.auth.check(*v, f.client, now).kind == Kind::kChallenge);
  }
}

TEST_CASE("user db: a 0x key is used as the MD5 key and gives no SHA-256 key") {
  turn::UserDbSnapshot db;
  const auto key = stun::long_term_key_md5("carol", "r", "secret");
  db.add_user("r", "carol", hex(key));
  db.add_user("r", "dave", "plain");
  auto carol = db.find("carol", "r");
  REQUIRE(carol);
  CHECK(carol->md5 == key);
  CHECK_FALSE(carol->sha256);
  auto dave = db.find("dave", "r");
  REQUIRE(dave);
  CHECK(dave->md5 == stun::long_term_key_md5("dave", "r", "plain"));
  REQUIRE(dave->sha256);
  CHECK(*dave->sha256 == stun::long_term_key_sha256("dave", "r", "plain"));
  CHECK_FALSE(db.find("carol", "other-realm"));
  CHECK(db.find_by_userhash(stun::userhash("dave", "r"), "r") ==
        std::optional<std::string>("dave"));
  CHECK_FALSE(turn::parse_hex_key("0x1234"));
  CHECK_FALSE(turn::parse_hex_key("0xzz" + std::string(30, '0')));
  CHECK(turn::parse_hex_key("0x" + std::string(32, 'A')));
}
