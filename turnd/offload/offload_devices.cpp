// Which devices the fast path attaches to: those that carry a listening or relay address.
#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>

#include "net/ip_key.hpp"
#include "offload/kernel_offload.hpp"

namespace turn {

std::vector<int> offload_devices(const std::vector<stun::SocketAddress>& addresses) {
  std::vector<int> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr)
      continue;
    const auto local = stun::SocketAddress::from_sockaddr(i->ifa_addr);
    if (!local)
      continue;
    const bool carries = std::any_of(addresses.begin(), addresses.end(), [&](const auto& a) {
      return a.same_ip(*local) || (a.family == local->family && IpKey::of(a).is_wildcard());
    });
    if (!carries)
      continue;
    const int index = static_cast<int>(::if_nametoindex(i->ifa_name));
    if (index > 0 && std::find(out.begin(), out.end(), index) == out.end())
      out.push_back(index);
  }
  ::freeifaddrs(list);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace turn
