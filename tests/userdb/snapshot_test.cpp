// The snapshot through turnd's Authenticator: TURN REST credentials (valid, expired, wrong
// secret, rotation), static and REST users in one realm, realms, realm options.
#include "userdb/snapshot.hpp"

#include <doctest/doctest.h>

#include <memory>

#include "auth/authenticator.hpp"
#include "stun/builder.hpp"
#include "userdb/rest_api.hpp"

namespace {

using Kind = turn::AuthOutcome::Kind;
constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kRealm = "example.org";

struct Fixture {
  turn::NonceIssuer nonces{600};
  std::shared_ptr<turn::UserDbSnapshot> db = std::make_shared<turn::UserDbSnapshot>();
  turn::Authenticator auth{kRealm, nonces, db};
  stun::SocketAddress client = stun::SocketAddress::v4({127, 0, 0, 1}, 4000);
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(512);
  std::string nonce;
  std::uint8_t tid_counter = 0;

  Fixture() { nonce = nonces.issue(client, kNow); }

  /// An Allocate signed with MESSAGE-INTEGRITY (MD5 key) or, with `sha256`, with
  /// PASSWORD-ALGORITHM SHA-256 and MESSAGE-INTEGRITY-SHA256.
  stun::MessageView request(const std::string& user, const std::string& password,
                            bool sha256 = false) {
    stun::TransactionId tid{};
    tid[0] = ++tid_counter;
    stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kAllocate, stun::Class::kRequest),
                           tid);
    b.add(stun::attr::kUsername, user);
    b.add(stun::attr::kRealm, kRealm);
    b.add(stun::attr::kNonce, nonce);
    if (sha256) {
      stun::codec::PasswordAlgorithms::Value list;
      list.push({stun::kPasswordAlgorithmMd5, {}});
      list.push({stun::kPasswordAlgorithmSha256, {}});
      b.add(stun::attr::kPasswordAlgorithms, list);
      b.add(stun::attr::kPasswordAlgorithm, {stun::kPasswordAlgorithmSha256, {}});
      b.add_integrity_sha256(stun::long_term_key_sha256(user, kRealm, password));
    } else {
      b.add_integrity_sha1(stun::long_term_key_md5(user, kRealm, password));
    }
    auto bytes = b.finish();
    REQUIRE(bytes);
    auto v = stun::MessageView::parse(*bytes);
    REQUIRE(v);
    return *v;
  }

  turn::AuthOutcome check(const std::string& user, const std::string& password, bool sha256 = false,
                          std::int64_t now = kNow) {
    return auth.check(request(user, password, sha256), client, static_cast<std::uint64_t>(now));
  }
};

std::string rest_user(std::int64_t expiry, const std::string& name) {
  return std::to_string(expiry) + ":" + name;
}

}  // namespace

TEST_CASE("REST: a valid credential is accepted, MD5 and SHA-256") {
  Fixture f;
  f.db->enable_rest(':');
  f.db->add_secret("", "north");
  const std::string user = rest_user(kNow + 3600, "alice");
  const std::string password = turn::userdb::rest_password("north", user);
  auto o = f.check(user, password);
  CHECK(o.kind == Kind::kOk);
  CHECK(o.user == user);
  CHECK(o.key_len == 16);
  const auto key = stun::long_term_key_md5(user, kRealm, password);
  CHECK(std::equal(key.begin(), key.end(), o.key.begin()));
  // The password is known, so RFC 8489 SHA-256 works too.
  auto o256 = f.check(user, password, /*sha256=*/true);
  CHECK(o256.kind == Kind::kOk);
  CHECK(o256.key_len == 32);
  // A username without the user part ("<expiry>") is a REST username too.
  const std::string bare = std::to_string(kNow + 60);
  CHECK(f.check(bare, turn::userdb::rest_password("north", bare)).kind == Kind::kOk);
}

TEST_CASE("REST: expired credentials, wrong secret, wrong password are 401") {
  Fixture f;
  f.db->enable_rest(':');
  f.db->add_secret("", "north");
  const std::string expired = rest_user(kNow - 1, "alice");
  auto o = f.check(expired, turn::userdb::rest_password("north", expired));
  CHECK(o.kind == Kind::kUnauthorized);
  CHECK(std::string(o.reason) == "unknown user");
  // Expiring exactly now is still good (coturn: expiry >= now).
  const std::string edge = rest_user(kNow, "alice");
  CHECK(f.check(edge, turn::userdb::rest_password("north", edge)).kind == Kind::kOk);
  // The same credential, checked one second after its expiry.
  CHECK(f.check(edge, turn::userdb::rest_password("north", edge), false, kNow + 1).kind ==
        Kind::kUnauthorized);

  const std::string user = rest_user(kNow + 3600, "alice");
  auto wrong_secret = f.check(user, turn::userdb::rest_password("south", user));
  CHECK(wrong_secret.kind == Kind::kUnauthorized);
  CHECK(std::string(wrong_secret.reason) == "wrong credentials");
  CHECK(f.check(user, "not-the-password").kind == Kind::kUnauthorized);
}

TEST_CASE("REST: rotation: old and new secrets are both valid while both are configured") {
  Fixture f;
  f.db->enable_rest(':');
  f.db->add_secret("", "old-secret");
  f.db->add_secret(kRealm, "new-secret");  // e.g. from the database's turn_secret table
  const std::string user = rest_user(kNow + 600, "bob");
  CHECK(f.check(user, turn::userdb::rest_password("old-secret", user)).kind == Kind::kOk);
  CHECK(f.check(user, turn::userdb::rest_password("new-secret", user)).kind == Kind::kOk);
  CHECK(f.check(user, turn::userdb::rest_password("other", user)).kind == Kind::kUnauthorized);
  CHECK(f.db->candidates(user, kRealm, kNow).size() == 2);

  // The old secret removed (a reloaded snapshot swapped in): only the new one works.
  auto next = std::make_shared<turn::UserDbSnapshot>();
  next->enable_rest(':');
  next->add_secret(kRealm, "new-secret");
  f.auth.set_users(next);
  CHECK(f.check(user, turn::userdb::rest_password("old-secret", user)).kind == Kind::kUnauthorized);
  CHECK(f.check(user, turn::userdb::rest_password("new-secret", user)).kind == Kind::kOk);
}

TEST_CASE("REST: a realm's database secrets do not apply to another realm") {
  turn::UserDbSnapshot db;
  db.enable_rest(':');
  db.add_secret("other.org", "s1");
  db.add_secret("", "s2");
  CHECK(db.secrets_for("other.org") == std::vector<std::string>{"s1", "s2"});
  CHECK(db.secrets_for(kRealm) == std::vector<std::string>{"s2"});
  CHECK(db.candidates(rest_user(kNow + 5, "x"), kRealm, kNow).size() == 1);
}

TEST_CASE("REST: off unless enabled; custom separator") {
  Fixture f;
  f.db->add_secret("", "north");
  const std::string user = rest_user(kNow + 600, "alice");
  CHECK(f.check(user, turn::userdb::rest_password("north", user)).kind == Kind::kUnauthorized);

  Fixture g;
  g.db->enable_rest('-');
  g.db->add_secret("", "north");
  const std::string dashed = std::to_string(kNow + 600) + "-alice";
  CHECK(g.check(dashed, turn::userdb::rest_password("north", dashed)).kind == Kind::kOk);
  CHECK(g.check(user, turn::userdb::rest_password("north", user)).kind == Kind::kUnauthorized);
}

TEST_CASE("REST and static users in one realm (unlike coturn)") {
  Fixture f;
  f.db->enable_rest(':');
  f.db->add_secret("", "north");
  f.db->add_user(kRealm, "carol", "carolpw");
  // A username that looks like a REST one but is a static user with its own password.
  f.db->add_user(kRealm, "1999999999:svc", "svcpw");

  CHECK(f.check("carol", "carolpw").kind == Kind::kOk);
  CHECK(f.check("carol", "wrong").kind == Kind::kUnauthorized);
  const std::string user = rest_user(kNow + 600, "carol");
  CHECK(f.check(user, turn::userdb::rest_password("north", user)).kind == Kind::kOk);
  // REST check fails -> the static user's key is tried.
  CHECK(f.check("1999999999:svc", "svcpw").kind == Kind::kOk);
  CHECK(f.check("1999999999:svc", turn::userdb::rest_password("north", "1999999999:svc")).kind ==
        Kind::kOk);
  // SHA-256 with the static user's password.
  CHECK(f.check("carol", "carolpw", /*sha256=*/true).kind == Kind::kOk);
}

TEST_CASE("snapshot: realms matter; 0x keys have no SHA-256; userhash; realm options") {
  Fixture f;
  f.db->add_user("other.org", "dave", "davepw");
  f.db->add_user(kRealm, "erin", "0x" + turn::to_hex(stun::long_term_key_md5("erin", kRealm, "e")));
  CHECK(f.check("dave", "davepw").kind == Kind::kUnauthorized);
  CHECK(f.db->find("dave", "other.org"));
  CHECK_FALSE(f.db->find("dave", kRealm));
  CHECK(f.check("erin", "e").kind == Kind::kOk);
  auto o = f.check("erin", "e", /*sha256=*/true);
  CHECK(o.kind == Kind::kUnauthorized);
  CHECK(std::string(o.reason) == "no SHA-256 key for user");
  CHECK(f.db->find_by_userhash(stun::userhash("erin", kRealm), kRealm) ==
        std::optional<std::string>("erin"));
  CHECK_FALSE(f.db->find_by_userhash(stun::userhash("erin", kRealm), "other.org"));
  CHECK(f.db->user_count() == 2);

  CHECK(f.db->realm_options(kRealm) == nullptr);
  turn::RealmOptions opts;
  opts.user_quota = 5;
  opts.max_bps = 100000;
  f.db->set_realm_options(kRealm, opts);
  REQUIRE(f.db->realm_options(kRealm));
  CHECK(*f.db->realm_options(kRealm) == opts);
  CHECK_FALSE(f.db->realm_options(kRealm)->total_quota);
}
