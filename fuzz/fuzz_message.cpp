// libFuzzer target: MessageView::parse, get() of every descriptor, the verifiers, and a rebuild
// of everything that decoded, which must parse back to the same values.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "descriptors.hpp"
#include "stun/stun.hpp"

namespace {

using namespace stun;

void require(bool condition) {
  if (!condition)
    std::abort();
}

bool equal_values(const SocketAddress& a, const SocketAddress& b) {
  return a == b;
}
bool equal_values(Bytes a, Bytes b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}
template <typename T>
bool equal_values(const T& a, const T& b) {
  return a == b;
}

constexpr bool is_integrity_or_fingerprint(AttrType t) {
  return t == AttrType::kMessageIntegrity || t == AttrType::kMessageIntegritySha256 ||
         t == AttrType::kFingerprint;
}

/// The structural promises of a parsed view.
void check_view(const MessageView& m, std::size_t input_size) {
  require(m.size() >= kHeaderSize && m.size() <= input_size && m.size() % 4 == 0);
  require(m.attributes().size() <= MessageView::kMaxAttributes);
  for (const auto& a : m.attributes()) {
    require(a.offset >= kHeaderSize + kAttributeHeaderSize);
    require(a.offset + pad4(a.length) <= m.size());
  }
  for (std::uint16_t t : m.unknown_required()) {
    require(is_comprehension_required(t) && !is_known_attribute(t));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input{data, size};
  auto parsed = MessageView::parse(input);
  if (!parsed)
    return 0;
  const MessageView& m = *parsed;
  check_view(m, size);

  // A fixed key: real MACs will not verify, but every path through the verifiers runs.
  static const Md5Key kKey = long_term_key_md5("user", "realm", "pass");
  const bool sha1 = verify_integrity_sha1(m, kKey);
  const bool sha256 = verify_integrity_sha256(m, kKey);
  const bool fingerprint = verify_fingerprint(m);
  require(!sha1 || m.integrity_offset().has_value());
  require(!sha256 || m.integrity_sha256_offset().has_value());
  require(!fingerprint || m.fingerprint_offset().has_value());

  // Rebuild every ordinary attribute that decodes; the integrity attributes are recomputed.
  std::vector<std::uint8_t> buf(size + 128);
  MessageBuilder b(buf, m.type(), m.transaction_id(), m.cookie());
  stun_fuzz::for_each_descriptor([&](const auto& descriptor) {
    if (is_integrity_or_fingerprint(descriptor.type))
      return;
    if (auto v = m.get(descriptor))
      b.add(descriptor, *v);
  });
  if (m.integrity_offset())
    b.add_integrity_sha1(kKey);
  if (m.integrity_sha256_offset())
    b.add_integrity_sha256(kKey);
  if (m.fingerprint_offset())
    b.add_fingerprint();
  auto rebuilt = b.finish();
  // Only a message near the 64 KiB limit can outgrow it once its MACs are recomputed in full.
  if (!rebuilt && rebuilt.error() == ParseError::kBufferTooSmall && m.size() > 0xFFFC - 68) {
    return 0;
  }
  require(rebuilt.ok());

  auto again = MessageView::parse(*rebuilt);
  require(again.ok());
  check_view(*again, rebuilt->size());
  require(again->type() == m.type() && again->transaction_id() == m.transaction_id() &&
          again->cookie() == m.cookie());
  stun_fuzz::for_each_descriptor([&](const auto& descriptor) {
    if (is_integrity_or_fingerprint(descriptor.type))
      return;
    auto before = m.get(descriptor);
    auto after = again->get(descriptor);
    require(before.ok() == after.ok());
    if (before)
      require(equal_values(*before, *after));
  });
  require(!m.integrity_offset() || verify_integrity_sha1(*again, kKey));
  require(!m.integrity_sha256_offset() || verify_integrity_sha256(*again, kKey));
  require(!m.fingerprint_offset() || verify_fingerprint(*again));
  return 0;
}
