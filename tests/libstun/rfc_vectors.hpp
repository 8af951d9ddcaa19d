// Published STUN test vectors, as hex laid out four bytes at a time like the RFC text, plus the
// parameters they were made with. Shared by the tests and by fuzz/make_corpus.cpp.
#pragma once

#include <string_view>

namespace stun_test::vectors {

// RFC 5769 §2.1-§2.3 share this short-term password (RFC 8489 §9.1).
inline constexpr std::string_view kShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";

/// RFC 5769 §2.1: Binding request with SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED,
/// USERNAME "evtj:h6vY" (padded with three spaces), MESSAGE-INTEGRITY, FINGERPRINT.
inline constexpr std::string_view kRfc5769Request =
    "00010058 2112a442 b7e7a701 bc34d686 fa87dfae"
    "80220010 5354554e 20746573 7420636c 69656e74"  // SOFTWARE
    "00240004 6e0001ff"                             // PRIORITY
    "80290008 932ff9b1 51263b36"                    // ICE-CONTROLLED
    "00060009 6576746a 3a683676 59202020"           // USERNAME
    "00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2"
    "80280004 e57a3bcf";

/// RFC 5769 §2.2: Binding success, SOFTWARE "test vector" (padded with a space),
/// XOR-MAPPED-ADDRESS 192.0.2.1:32853, MESSAGE-INTEGRITY, FINGERPRINT.
inline constexpr std::string_view kRfc5769Ipv4Response =
    "0101003c 2112a442 b7e7a701 bc34d686 fa87dfae"
    "8022000b 74657374 20766563 746f7220"
    "00200008 0001a147 e112a643"
    "00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7"
    "80280004 c07d4c96";

/// RFC 5769 §2.3: as §2.2 with XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
inline constexpr std::string_view kRfc5769Ipv6Response =
    "01010048 2112a442 b7e7a701 bc34d686 fa87dfae"
    "8022000b 74657374 20766563 746f7220"
    "00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9"
    "00080014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41"
    "80280004 c8fb0b4c";

/// RFC 5769 §2.4: Binding request with long-term credentials: USERNAME, NONCE, REALM,
/// MESSAGE-INTEGRITY; no FINGERPRINT.
inline constexpr std::string_view kRfc5769LongTermRequest =
    "00010060 2112a442 78ad3433 c6ad72c0 29da412e"
    "00060012 e3839ee3 8388e383 aae38383 e382afe3 82b90000"
    "0015001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341"
    "0014000b 6578616d 706c652e 6f726700"
    "00080014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666";

/// U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8: unchanged by SASLprep and OpaqueString.
inline constexpr std::string_view kLongTermUsername =
    "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
/// "The<U+00AD>M<U+00AA>tr<U+2168>" after SASLprep (RFC 5769) / OpaqueString (RFC 8489).
inline constexpr std::string_view kLongTermPassword = "TheMatrIX";
inline constexpr std::string_view kLongTermRealm = "example.org";
inline constexpr std::string_view kRfc5769Nonce = "f//499k954d6OL34oL9FSTvy64sA";

/// RFC 8489 Appendix B.1 as published: USERHASH, NONCE, REALM, MESSAGE-INTEGRITY-SHA256.
inline constexpr std::string_view kRfc8489Request =
    "00010088 2112a442 78ad3433 c6ad72c0 29da412e"
    "001e0020 4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 05c46e41 407f1704"
    "00150029 6f624d61 744a6f73 32414141 43662f2f 3439396b 39353464 364f4c33 346f4c39"
    "46535476 79363473 41000000"
    "0014000b 6578616d 706c652e 6f726700"
    "001c0020 fd8c2738 60d2e18e bca4c89b 6973befa 7ee8ecc6 9e9642db 326fab65 a0b955ba";
inline constexpr std::string_view kRfc8489Nonce = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";

/// RFC 8489 Appendix B.1 corrected to what its title promises: the same request with
/// PASSWORD-ALGORITHMS (SHA-256, MD5) and PASSWORD-ALGORITHM SHA-256 (RFC 8489 §9.2.4), so that
/// MESSAGE-INTEGRITY-SHA256 is keyed with SHA-256(username ":" realm ":" password) (§9.2.2).
/// The published vector carries no PASSWORD-ALGORITHM and its HMAC turns out to be keyed with the
/// MD5 key (see rfc8489_vectors_test.cpp). These bytes were computed independently of libstun,
/// with Python's hashlib and hmac modules.
inline constexpr std::string_view kRfc8489RequestSha256Key =
    "0001009c 2112a442 78ad3433 c6ad72c0 29da412e"
    "001e0020 4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 05c46e41 407f1704"
    "00150029 6f624d61 744a6f73 32414141 43662f2f 3439396b 39353464 364f4c33 346f4c39"
    "46535476 79363473 41000000"
    "0014000b 6578616d 706c652e 6f726700"
    "80020008 00020000 00010000"
    "001d0004 00020000"
    "001c0020 951025ab e335277f f4e54642 298dc256 7a12b9ba e19138ed 31eccb6a 24fbc66c";

}  // namespace stun_test::vectors
