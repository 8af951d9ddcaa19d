// The client side of long-term credentials (RFC 8489 §9.2): what a 401 or 438 answer teaches
// (REALM, NONCE), and how a later request is signed with them (USERNAME or USERHASH, REALM,
// NONCE, then MESSAGE-INTEGRITY or, with PASSWORD-ALGORITHM SHA-256, MESSAGE-INTEGRITY-SHA256).
// Every TURN client of this project signs through it: the test client, the handler tests' fake
// client and the load generator.
#pragma once

#include <string>

#include "stun/builder.hpp"
#include "stun/message_view.hpp"

namespace stun {

struct LongTermCredentials {
  enum class Algorithm : std::uint8_t {
    kMd5,     ///< MESSAGE-INTEGRITY with the MD5 key (RFC 8489 §9.2.2; what RFC 5389 knew)
    kSha256,  ///< PASSWORD-ALGORITHMS echoed, PASSWORD-ALGORITHM SHA-256, MI-SHA256 (§9.2.4)
  };

  std::string user;
  std::string password;
  std::string realm;
  std::string nonce;  ///< empty until a challenge was learnt

  /// Takes REALM and NONCE from a challenge (401) or stale-nonce answer (438); true when the
  /// answer carried a NONCE.
  bool learn(const MessageView& challenge);
  bool ready() const { return !nonce.empty(); }
  /// Adds the credential attributes and the integrity to `b`, after the request's own
  /// attributes and before FINGERPRINT. `userhash`: USERHASH (§14.4) instead of USERNAME.
  void sign(MessageBuilder& b, Algorithm algorithm = Algorithm::kMd5, bool userhash = false) const;
};

}  // namespace stun
