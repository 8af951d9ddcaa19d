// Long-term credential check of one request (RFC 8489 §9.2.4), with RFC 8489's
// PASSWORD-ALGORITHMS, USERHASH and MESSAGE-INTEGRITY-SHA256 when the client offers them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/nonce.hpp"
#include "stun/message_view.hpp"
#include "userdb/keys.hpp"

namespace turn {

struct AuthOutcome {
  enum class Kind : std::uint8_t {
    kOk,            ///< authenticated: sign the response with `key`
    kChallenge,     ///< no credentials yet: 401 with REALM and NONCE
    kStale,         ///< 438 with a fresh NONCE
    kBadRequest,    ///< 400: credentials attributes missing or inconsistent
    kUnauthorized,  ///< 401: unknown user or wrong integrity
  };
  Kind kind = Kind::kChallenge;
  std::string user;
  std::array<std::uint8_t, 32> key{};
  std::size_t key_len = 0;
  bool sha256 = false;  ///< the request used MESSAGE-INTEGRITY-SHA256
  /// The request carried a nonce this server issued to the source's IP: the source saw one of
  /// our answers there, so it is not spoofed. Only such failures are logged and lead to bans.
  bool source_verified = false;
  const char* reason = "";  ///< for the auth-failure log line (a fixed string)

  stun::Bytes key_bytes() const { return {key.data(), key_len}; }
};

class Authenticator {
 public:
  Authenticator(std::string realm, const NonceIssuer& nonces, std::shared_ptr<const UserDb> users);

  /// `now_s` is the wall clock (unix seconds): nonces and TURN REST expiry times are read
  /// against it.
  AuthOutcome check(const stun::MessageView& request, const stun::SocketAddress& client,
                    std::uint64_t now_s) const;

  const std::string& realm() const { return realm_; }
  const NonceIssuer& nonces() const { return nonces_; }
  /// Replaces the user database (SIGHUP, db change); in-flight checks keep the old snapshot.
  void set_users(std::shared_ptr<const UserDb> users) { users_.store(std::move(users)); }

 private:
  /// The checks after the nonce verified: user, algorithm, realm, integrity.
  AuthOutcome check_credentials(const stun::MessageView& request, std::string_view realm,
                                std::optional<std::string_view> username,
                                std::optional<stun::Bytes> hash, std::uint64_t now_s) const;

  std::string realm_;
  const NonceIssuer& nonces_;
  std::atomic<std::shared_ptr<const UserDb>> users_;
};

}  // namespace turn
