// ParseError names and the Result<T> value-or-error type.
#include <doctest/doctest.h>

#include <set>
#include <string_view>

#include "stun/errors.hpp"

using namespace stun;

TEST_CASE("every ParseError has its own name") {
  std::set<std::string_view> names;
  const auto last = static_cast<unsigned>(ParseError::kAttributeOrder);
  for (unsigned e = 0; e <= last; ++e) {
    const auto name = to_string(static_cast<ParseError>(e));
    CAPTURE(e);
    CHECK(name != "unknown");
    names.insert(name);
  }
  CHECK(names.size() == last + 1);
  CHECK(to_string(static_cast<ParseError>(last + 1)) == "unknown");
}

TEST_CASE("Result holds a value or an error") {
  Result<int> good = 7;
  CHECK(good.ok());
  CHECK(static_cast<bool>(good));
  CHECK(good.error() == ParseError::kOk);
  CHECK(*good == 7);
  CHECK(good.value() == 7);
  CHECK(good.value_or(1) == 7);

  Result<int> bad = ParseError::kMissing;
  CHECK_FALSE(bad.ok());
  CHECK(bad.error() == ParseError::kMissing);
  CHECK(bad.value_or(1) == 1);
}
