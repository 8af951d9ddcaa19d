// Builds a signed Binding request with the installed libstun, parses it back and verifies it.
#include <stun/stun.hpp>

#include <array>
#include <cstdio>

int main() {
  std::array<std::uint8_t, 256> buf{};
  const stun::TransactionId tid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const auto key = stun::long_term_key_md5("user", "realm", "pass");
  stun::MessageBuilder b(buf, stun::pack_type(stun::Method::kBinding, stun::Class::kRequest), tid);
  b.add(stun::attr::kUsername, "user").add_integrity_sha1(key).add_fingerprint();
  auto bytes = b.finish();
  if (!bytes)
    return 1;
  auto msg = stun::MessageView::parse(*bytes);
  if (!msg || !stun::verify_integrity_sha1(*msg, key) || !stun::verify_fingerprint(*msg))
    return 2;
  std::printf("stun_consumer: %zu-byte Binding request built, parsed and verified\n", msg->size());
  return 0;
}
