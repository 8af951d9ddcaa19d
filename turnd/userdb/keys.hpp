// The user-lookup interface turnd authenticates against, and the key encodings coturn uses.
// Lookups are in-memory: an implementation never blocks a worker loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "stun/integrity.hpp"

namespace turn {

/// The keys of one user in one realm. The SHA-256 key exists only when the password is known
/// (a `0x` MD5 key or a coturn `hmackey` cannot be turned into it).
struct UserKeys {
  stun::Md5Key md5{};
  std::optional<stun::Sha256Key> sha256;
};

class UserDb {
 public:
  virtual ~UserDb() = default;
  virtual std::optional<UserKeys> find(std::string_view user, std::string_view realm) const = 0;
  /// RFC 8489 §14.4 USERHASH: the user whose SHA-256(user:realm) this is.
  virtual std::optional<std::string> find_by_userhash(const stun::Userhash& hash,
                                                      std::string_view realm) const = 0;
  /// Every key that may be `user`'s at wall-clock time `now_s` (unix seconds), in the order to
  /// try them: one per TURN REST secret (several while secrets rotate), then the stored user.
  /// The request is valid when its integrity checks with any of them. Default: find().
  virtual std::vector<UserKeys> candidates(std::string_view user, std::string_view realm,
                                           std::int64_t now_s) const {
    (void)now_s;
    std::vector<UserKeys> out;
    if (auto keys = find(user, realm))
      out.push_back(*keys);
    return out;
  }
};

using UserDbPtr = std::shared_ptr<const UserDb>;

/// A user database that cannot be read or written; what() names the file (and line).
class UserDbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses "0x" + 32 hex digits into an MD5 key.
std::optional<stun::Md5Key> parse_hex_key(std::string_view text);
/// Parses exactly 2 * out.size() hex digits (either case) into `out`.
bool parse_hex(std::string_view hex, std::span<std::uint8_t> out);
/// Lowercase hex, as coturn stores `hmackey` and prints `turnadmin -k`.
std::string to_hex(std::span<const std::uint8_t> bytes);

/// coturn's SASLprep (ns_turn_msg.c), applied byte by byte as coturn does to turnadmin's -u, -r
/// and -p: 0xAD is dropped, 0xA0 becomes a space, bytes below 0x1F, 0x7F and 0x80-0x9F are
/// rejected (nullopt). Matching it byte for byte keeps `turnadmin -k` keys identical to coturn's.
std::optional<std::string> coturn_saslprep(std::string_view s);

}  // namespace turn
