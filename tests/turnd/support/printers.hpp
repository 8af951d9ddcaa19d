// doctest printers so failed CHECKs show addresses readably.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "stun/address.hpp"

namespace doctest {
template <>
struct StringMaker<stun::SocketAddress> {
  static String convert(const stun::SocketAddress& a) { return a.to_string().c_str(); }
};
}  // namespace doctest
