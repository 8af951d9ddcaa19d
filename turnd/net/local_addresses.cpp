#include "net/local_addresses.hpp"

#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>

namespace turn {

std::vector<stun::SocketAddress> local_addresses() {
  std::vector<stun::SocketAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0)
      continue;
    auto a = stun::SocketAddress::from_sockaddr(i->ifa_addr);
    if (!a)
      continue;
    // Link-local IPv6 needs a scope id to bind and is useless to internet clients.
    if (a->is_v6() && a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80)
      continue;
    a->port = 0;
    if (std::find(out.begin(), out.end(), *a) == out.end())
      out.push_back(*a);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace turn
