// SocketAddress: parsing, formatting, sockaddr conversion, comparison, hashing and the
// IPv4-in-IPv6 unmapping that peer checks rely on.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <sys/un.h>

#include <string>

#include "stun/address.hpp"

using namespace stun;

TEST_CASE("parse: addresses with and without ports") {
  auto a = SocketAddress::parse("192.0.2.1:32853");
  REQUIRE(a.has_value());
  CHECK(*a == SocketAddress::v4({192, 0, 2, 1}, 32853));

  a = SocketAddress::parse("192.0.2.1");
  REQUIRE(a.has_value());
  CHECK(a->port == 0);
  CHECK(a->is_v4());

  a = SocketAddress::parse("[2001:db8::1]:3478");
  REQUIRE(a.has_value());
  CHECK(a->is_v6());
  CHECK(a->port == 3478);
  CHECK(a->ip[0] == 0x20);
  CHECK(a->ip[15] == 0x01);

  a = SocketAddress::parse("::1");
  REQUIRE(a.has_value());
  CHECK(a->is_v6());
  CHECK(a->port == 0);

  a = SocketAddress::parse("[::1]");
  REQUIRE(a.has_value());
  CHECK(a->is_v6());
}

TEST_CASE("parse: rejects what is not an address") {
  for (std::string_view bad : {"", "1.2.3", "1.2.3.256", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:x",
                               "1.2.3.4:80x", "1.2.3.4:", "[::1", "[::1]x", "[::1]:", "[::1]:99999",
                               "host:80", "::1:80:", "[]:80", "[1.2.3.4]:80x"}) {
    CAPTURE(bad);
    CHECK_FALSE(SocketAddress::parse(bad).has_value());
  }
}

TEST_CASE("parse_ip: an address alone") {
  CHECK(SocketAddress::parse_ip("10.0.0.1").has_value());
  CHECK(SocketAddress::parse_ip("fe80::1").has_value());
  CHECK_FALSE(SocketAddress::parse_ip("10.0.0.1:80").has_value());
  CHECK_FALSE(SocketAddress::parse_ip("[::1]").has_value());
  CHECK_FALSE(SocketAddress::parse_ip("").has_value());
  CHECK_FALSE(SocketAddress::parse_ip(std::string(100, '1')).has_value());
  // An embedded NUL must not cut the text short for inet_pton.
  CHECK_FALSE(SocketAddress::parse_ip(std::string_view("10.0.0.1\0junk", 13)).has_value());
  CHECK_FALSE(SocketAddress::parse(std::string_view("10.0.0.1\0:80", 12)).has_value());
}

TEST_CASE("to_string and ip_string") {
  CHECK(SocketAddress::v4({192, 0, 2, 1}, 32853).to_string() == "192.0.2.1:32853");
  CHECK(SocketAddress::parse("[2001:db8:0:0:0:0:0:1]:5")->to_string() == "[2001:db8::1]:5");
  CHECK(SocketAddress::parse("::ffff:1.2.3.4")->ip_string() == "::ffff:1.2.3.4");
  CHECK(SocketAddress{}.ip_string() == "-");
  for (const char* text : {"0.0.0.0:0", "255.255.255.255:65535", "[::]:1", "[fe80::1:2]:3478"}) {
    CHECK(SocketAddress::parse(text)->to_string() == text);
  }
}

TEST_CASE("sockaddr round trip, IPv4 and IPv6") {
  for (std::string_view text :
       {"192.0.2.1:32853", "[2001:db8:1234:5678:11:2233:4455:6677]:32853"}) {
    CAPTURE(text);
    const auto a = *SocketAddress::parse(text);
    sockaddr_storage ss;
    const socklen_t len = a.to_sockaddr(ss);
    CHECK(len == (a.is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)));
    CHECK(ss.ss_family == (a.is_v4() ? AF_INET : AF_INET6));
    auto back = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss));
    REQUIRE(back.has_value());
    CHECK(*back == a);
  }
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(3478);
  in.sin_addr.s_addr = htonl(0x7F000001);
  CHECK(SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&in)) ==
        SocketAddress::v4({127, 0, 0, 1}, 3478));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  CHECK_FALSE(SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&un)).has_value());
  CHECK_FALSE(SocketAddress::from_sockaddr(nullptr).has_value());
}

TEST_CASE("equality, same_ip and hash") {
  const auto a = SocketAddress::v4({10, 0, 0, 1}, 1);
  const auto b = SocketAddress::v4({10, 0, 0, 1}, 2);
  const auto c = SocketAddress::v4({10, 0, 0, 2}, 1);
  CHECK(a == a);
  CHECK_FALSE(a == b);
  CHECK_FALSE(a == c);
  CHECK(a.same_ip(b));
  CHECK_FALSE(a.same_ip(c));
  // IPv4 compares the 4 address bytes only; stale bytes beyond them do not matter.
  auto dirty = a;
  dirty.ip[10] = 0x55;
  CHECK(dirty == a);
  CHECK(SocketAddressHash{}(dirty) == SocketAddressHash{}(a));
  // 10.0.0.1 and ::a00:1 share bytes but not a family.
  const auto v6 = *SocketAddress::parse("::a00:1");
  CHECK_FALSE(v6.same_ip(*SocketAddress::parse("10.0.0.1")));
  CHECK(SocketAddressHash{}(a) != SocketAddressHash{}(b));
}

TEST_CASE("unmapped: IPv4-mapped and -compatible IPv6 become IPv4") {
  CHECK(SocketAddress::parse("[::ffff:127.0.0.1]:80")->unmapped() ==
        SocketAddress::v4({127, 0, 0, 1}, 80));
  CHECK(SocketAddress::parse("[::10.1.2.3]:80")->unmapped() ==
        SocketAddress::v4({10, 1, 2, 3}, 80));
  CHECK(SocketAddress::parse("[::ffff:0.0.0.0]:1")->unmapped() ==
        SocketAddress::v4({0, 0, 0, 0}, 1));
  for (std::string_view same : {"[2001:db8::1]:80", "[::1:0:0:1]:80", "[64:ff9b::1.2.3.4]:80",
                                "1.2.3.4:80", "[fe80::ffff:1.2.3.4]:80"}) {
    CAPTURE(same);
    const auto a = *SocketAddress::parse(same);
    CHECK(a.unmapped() == a);
  }
}

TEST_CASE("unmapped: :: and ::1 stay IPv6 (RFC 4291 §2.5.2-§2.5.3)") {
  // They lie in the IPv4-compatible range but are the unspecified and loopback addresses; as
  // 0.0.0.0 and 0.0.0.1 a loopback check would miss ::1.
  for (std::string_view text : {"[::]:80", "[::1]:80"}) {
    CAPTURE(text);
    const auto a = *SocketAddress::parse(text);
    CHECK(a.unmapped() == a);
  }
  CHECK(SocketAddress::parse("[::0.0.0.2]:80")->unmapped() == SocketAddress::v4({0, 0, 0, 2}, 80));
}
