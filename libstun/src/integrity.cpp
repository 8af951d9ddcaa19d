#include "stun/integrity.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "stun/fingerprint.hpp"

namespace stun {
namespace {

/// Digests are fetched once per process (an implicit fetch per call costs a lock and a lookup in
/// OpenSSL 3) and contexts once per thread, so a verification allocates nothing.
const EVP_MD* fetch_digest(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr)
    throw std::runtime_error(std::string("OpenSSL has no digest ") + name);
  return md;
}

const EVP_MD* digest_named(std::string_view name) {
  static const EVP_MD* const kSha1 = fetch_digest("SHA1");
  static const EVP_MD* const kSha256 = fetch_digest("SHA256");
  static const EVP_MD* const kMd5 = fetch_digest("MD5");
  if (name == "SHA1")
    return kSha1;
  if (name == "SHA256")
    return kSha256;
  if (name == "MD5")
    return kMd5;
  throw std::invalid_argument("unknown digest");
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

EVP_MD_CTX* thread_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx{EVP_MD_CTX_new()};
  return ctx.get();
}

std::size_t digest(const EVP_MD* md, std::span<const Bytes> pieces, std::uint8_t* out) {
  EVP_MD_CTX* ctx = thread_ctx();
  unsigned len = 0;
  EVP_DigestInit_ex(ctx, md, nullptr);
  for (Bytes p : pieces)
    EVP_DigestUpdate(ctx, p.data(), p.size());
  EVP_DigestFinal_ex(ctx, out, &len);
  return len;
}

Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

constexpr std::uint8_t kColon[] = {':'};

/// The header with its length field rewritten so the message appears to end at `end`.
std::array<std::uint8_t, kHeaderSize> header_ending_at(const MessageView& msg, std::size_t end) {
  std::array<std::uint8_t, kHeaderSize> h;
  std::memcpy(h.data(), msg.bytes().data(), kHeaderSize);
  store_u16(h.data() + 2, static_cast<std::uint16_t>(end - kHeaderSize));
  return h;
}

/// RFC 8489 §14.5/§14.6: the HMAC input is the message up to (excluding) the integrity
/// attribute, with the header length covering the integrity attribute itself.
bool verify_hmac(const MessageView& msg, std::optional<std::uint32_t> offset,
                 std::string_view algorithm, Bytes key, std::size_t min_len, std::size_t max_len) {
  if (!offset)
    return false;
  const Bytes all = msg.bytes();
  const std::size_t length = load_u16(all.data() + *offset + 2);
  if (length < min_len || length > max_len || length % 4 != 0)
    return false;
  const auto header = header_ending_at(msg, *offset + kAttributeHeaderSize + length);
  const Bytes pieces[] = {header, all.subspan(kHeaderSize, *offset - kHeaderSize)};
  std::array<std::uint8_t, 32> mac;
  hmac(algorithm, key, pieces, mac);
  const std::uint8_t* received = all.data() + *offset + kAttributeHeaderSize;
  return CRYPTO_memcmp(mac.data(), received, length) == 0;
}

}  // namespace

std::size_t hmac(std::string_view algorithm, Bytes key, std::span<const Bytes> pieces,
                 std::span<std::uint8_t, 32> out) {
  // RFC 2104, written over the digest so the pieces need not be contiguous.
  constexpr std::size_t kBlock = 64;  // SHA-1 and SHA-256 block size
  const EVP_MD* md = digest_named(algorithm);
  std::array<std::uint8_t, kBlock> k0{};
  if (key.size() > kBlock) {
    const Bytes whole[] = {key};
    digest(md, whole, k0.data());
  } else if (!key.empty()) {
    std::memcpy(k0.data(), key.data(), key.size());
  }
  std::array<std::uint8_t, kBlock> pad;
  for (std::size_t i = 0; i < kBlock; ++i)
    pad[i] = k0[i] ^ 0x36;
  EVP_MD_CTX* ctx = thread_ctx();
  std::array<std::uint8_t, 32> inner;
  unsigned inner_len = 0;
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, pad.data(), pad.size());
  for (Bytes p : pieces)
    EVP_DigestUpdate(ctx, p.data(), p.size());
  EVP_DigestFinal_ex(ctx, inner.data(), &inner_len);
  for (std::size_t i = 0; i < kBlock; ++i)
    pad[i] = k0[i] ^ 0x5c;
  const Bytes outer[] = {pad, Bytes{inner.data(), inner_len}};
  return digest(md, outer, out.data());
}

Md5Key long_term_key_md5(std::string_view username, std::string_view realm,
                         std::string_view password) {
  Md5Key key;
  const Bytes pieces[] = {as_bytes(username), kColon, as_bytes(realm), kColon, as_bytes(password)};
  digest(digest_named("MD5"), pieces, key.data());
  return key;
}

Sha256Key long_term_key_sha256(std::string_view username, std::string_view realm,
                               std::string_view password) {
  Sha256Key key;
  const Bytes pieces[] = {as_bytes(username), kColon, as_bytes(realm), kColon, as_bytes(password)};
  digest(digest_named("SHA256"), pieces, key.data());
  return key;
}

Userhash userhash(std::string_view username, std::string_view realm) {
  Userhash h;
  const Bytes pieces[] = {as_bytes(username), kColon, as_bytes(realm)};
  digest(digest_named("SHA256"), pieces, h.data());
  return h;
}

bool verify_integrity_sha1(const MessageView& msg, Bytes key) {
  return verify_hmac(msg, msg.integrity_offset(), "SHA1", key, 20, 20);
}

bool verify_integrity_sha256(const MessageView& msg, Bytes key) {
  // RFC 8489 §14.6: the HMAC may be truncated to 16-32 bytes, in multiples of 4.
  return verify_hmac(msg, msg.integrity_sha256_offset(), "SHA256", key, 16, 32);
}

bool verify_fingerprint(const MessageView& msg) {
  const auto offset = msg.fingerprint_offset();
  if (!offset)
    return false;
  const Bytes all = msg.bytes();
  if (load_u16(all.data() + *offset + 2) != 4)
    return false;
  const auto header = header_ending_at(msg, *offset + kAttributeHeaderSize + 4);
  std::uint32_t crc = crc32(header);
  crc = crc32(all.subspan(kHeaderSize, *offset - kHeaderSize), crc);
  return (crc ^ kFingerprintXor) == load_u32(all.data() + *offset + kAttributeHeaderSize);
}

// 24 bits are exactly one base64 group (RFC 4648 §4): 4 characters, never padding. OpenSSL's
// codec, as for the TURN REST passwords (turnd/userdb/rest_api.cpp).
std::array<char, 13> nonce_cookie(std::uint32_t features) {
  std::array<char, 13> out{};
  std::memcpy(out.data(), kNonceCookie.data(), kNonceCookie.size());
  const unsigned char bits[3] = {static_cast<unsigned char>(features >> 16),
                                 static_cast<unsigned char>(features >> 8),
                                 static_cast<unsigned char>(features)};
  unsigned char text[5];  // EVP_EncodeBlock adds a NUL
  EVP_EncodeBlock(text, bits, 3);
  std::memcpy(out.data() + kNonceCookie.size(), text, 4);
  return out;
}

std::optional<std::uint32_t> nonce_cookie_features(std::string_view nonce) {
  if (nonce.size() < 13 || nonce.substr(0, 9) != kNonceCookie)
    return std::nullopt;
  const std::string_view group = nonce.substr(9, 4);
  // EVP_DecodeBlock takes '=' for zero bits wherever it stands and counts padding as decoded
  // bytes; a full 24-bit group has no padding, so '=' is refused here. Whitespace in or around
  // the group, and any character outside the alphabet, fail the call.
  if (group.find('=') != std::string_view::npos)
    return std::nullopt;
  unsigned char bits[3];
  if (EVP_DecodeBlock(bits, reinterpret_cast<const unsigned char*>(group.data()), 4) != 3)
    return std::nullopt;
  return std::uint32_t{bits[0]} << 16 | std::uint32_t{bits[1]} << 8 | std::uint32_t{bits[2]};
}

}  // namespace stun
