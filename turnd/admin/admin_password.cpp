#include "admin/admin_password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>
#include <vector>

#include "userdb/keys.hpp"

namespace turn {
namespace {

constexpr std::size_t kSaltBytes = 8;  // coturn's PWD_SALT_SIZE

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64_decode(std::string_view in) {
  std::vector<unsigned char> out(in.size() / 4 * 3 + 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0)
    return {};
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (std::size_t i = in.size(); i > 0 && in[i - 1] == '=' && len > 0; --i)
    --len;
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

}  // namespace

bool admin_password_matches(std::string_view configured, std::string_view offered) {
  if (configured.empty())
    return false;
  const std::size_t hash_at = 3 + 2 * kSaltBytes + 1;
  const bool hashed = configured.size() == hash_at + 2 * SHA256_DIGEST_LENGTH &&
                      configured.substr(0, 3) == "$5$" && configured[hash_at - 1] == '$';
  if (!hashed)
    return equal_constant_time(configured, offered);
  std::array<std::uint8_t, kSaltBytes> salt{};
  if (!parse_hex(configured.substr(3, 2 * kSaltBytes), salt))
    return equal_constant_time(configured, offered);
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> digest{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
                  EVP_DigestUpdate(ctx, offered.data(), offered.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest.data(), nullptr) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok)
    return false;
  std::string expected(configured.substr(hash_at));
  for (char& c : expected)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return equal_constant_time(expected, to_hex(digest));
}

std::string password_from_authorization(std::string_view header) {
  auto scheme = [&](std::string_view name) {
    if (header.size() <= name.size() || header[name.size()] != ' ')
      return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(header[i])) != name[i])
        return false;
    }
    return true;
  };
  if (scheme("bearer"))
    return std::string(header.substr(7));
  if (scheme("basic")) {
    const std::string decoded = base64_decode(header.substr(6));
    const auto colon = decoded.find(':');
    return colon == std::string::npos ? std::string() : decoded.substr(colon + 1);
  }
  return {};
}

}  // namespace turn
