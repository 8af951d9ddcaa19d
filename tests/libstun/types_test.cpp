// Message types (RFC 8489 §5): the 14-bit type interleaves 12 method bits with 2 class bits.
#include <doctest/doctest.h>

#include <set>
#include <string_view>

#include "stun/types.hpp"

using namespace stun;

namespace {

constexpr Method kMethods[] = {
    Method::kBinding,        Method::kAllocate,         Method::kRefresh,     Method::kSend,
    Method::kData,           Method::kCreatePermission, Method::kChannelBind, Method::kConnect,
    Method::kConnectionBind, Method::kConnectionAttempt};
constexpr Class kClasses[] = {Class::kRequest, Class::kIndication, Class::kSuccess, Class::kError};

}  // namespace

TEST_CASE("pack_type, method_of and class_of round-trip every method and class") {
  for (Method m : kMethods) {
    for (Class c : kClasses) {
      const std::uint16_t t = pack_type(m, c);
      CAPTURE(t);
      CHECK((t & 0xC000) == 0);
      CHECK(method_of(t) == m);
      CHECK(class_of(t) == c);
    }
  }
}

TEST_CASE("pack_type is a bijection on the 14-bit type space") {
  for (std::uint32_t t = 0; t < 0x4000; ++t) {
    const auto type = static_cast<std::uint16_t>(t);
    CHECK(pack_type(method_of(type), class_of(type)) == type);
  }
}

TEST_CASE("message types as the RFCs list them") {
  // RFC 8489 §6: Binding request 0x0001, success 0x0101, error 0x0111.
  CHECK(pack_type(Method::kBinding, Class::kRequest) == 0x0001);
  CHECK(pack_type(Method::kBinding, Class::kSuccess) == 0x0101);
  CHECK(pack_type(Method::kBinding, Class::kError) == 0x0111);
  CHECK(pack_type(Method::kBinding, Class::kIndication) == 0x0011);
  // RFC 8656 §17: Allocate 0x003, Send and Data indications.
  CHECK(pack_type(Method::kAllocate, Class::kRequest) == 0x0003);
  CHECK(pack_type(Method::kAllocate, Class::kSuccess) == 0x0103);
  CHECK(pack_type(Method::kAllocate, Class::kError) == 0x0113);
  CHECK(pack_type(Method::kSend, Class::kIndication) == 0x0016);
  CHECK(pack_type(Method::kData, Class::kIndication) == 0x0017);
  CHECK(pack_type(Method::kChannelBind, Class::kSuccess) == 0x0109);
  // RFC 6062 §6.3: ConnectionAttempt indication.
  CHECK(pack_type(Method::kConnectionAttempt, Class::kIndication) == 0x001C);
  // The top method bits land above the class bits.
  CHECK(pack_type(static_cast<Method>(0xFFF), Class::kRequest) == 0x3EEF);
}

TEST_CASE("method names are distinct; unknown methods say so") {
  std::set<std::string_view> names;
  for (Method m : kMethods) {
    CHECK(method_name(m) != "unknown");
    names.insert(method_name(m));
  }
  CHECK(names.size() == std::size(kMethods));
  CHECK(method_name(static_cast<Method>(0x0002)) == "unknown");
  CHECK(method_name(static_cast<Method>(0x0FFF)) == "unknown");
}

TEST_CASE("attribute names, known attributes and comprehension ranges (RFC 8489 §14)") {
  CHECK(attribute_name(0x0020) == "XOR-MAPPED-ADDRESS");
  CHECK(attribute_name(0x8028) == "FINGERPRINT");
  CHECK(attribute_name(0x0024) == "unknown");
  CHECK(is_known_attribute(0x001C));
  CHECK_FALSE(is_known_attribute(0x0024));
  CHECK_FALSE(is_known_attribute(0x0000));
  CHECK(is_comprehension_required(0x0000));
  CHECK(is_comprehension_required(0x7FFF));
  CHECK_FALSE(is_comprehension_required(0x8000));
  CHECK_FALSE(is_comprehension_required(0xFFFF));
  std::set<std::string_view> names;
  std::size_t known = 0;
  for (std::uint32_t t = 0; t <= 0xFFFF; ++t) {
    const auto type = static_cast<std::uint16_t>(t);
    if (!is_known_attribute(type))
      continue;
    ++known;
    names.insert(attribute_name(type));
  }
  CHECK(names.size() == known);  // no two types share a name
}
