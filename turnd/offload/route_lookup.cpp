#include "offload/route_lookup.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

// rtnetlink's NLMSG_OK/RTA_OK compare the header's unsigned length with an int (clang warns).
#pragma GCC diagnostic ignored "-Wsign-compare"

namespace turn {
namespace {

void add_attribute(nlmsghdr& h, std::size_t room, unsigned short type, const void* data,
                   std::size_t size) {
  auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&h) + NLMSG_ALIGN(h.nlmsg_len));
  if (NLMSG_ALIGN(h.nlmsg_len) + RTA_SPACE(size) > room)
    return;
  a->rta_type = type;
  a->rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
  std::memcpy(RTA_DATA(a), data, size);
  h.nlmsg_len = static_cast<__u32>(NLMSG_ALIGN(h.nlmsg_len) + RTA_SPACE(size));
}

}  // namespace

std::optional<Egress> route_to(const stun::SocketAddress& source,
                               const stun::SocketAddress& destination) {
  const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return std::nullopt;
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  alignas(nlmsghdr) char request[256] = {};
  auto* h = reinterpret_cast<nlmsghdr*>(request);
  h->nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  h->nlmsg_type = RTM_GETROUTE;
  h->nlmsg_flags = NLM_F_REQUEST;
  h->nlmsg_seq = 1;
  auto* r = static_cast<rtmsg*>(NLMSG_DATA(h));
  const std::size_t bytes = destination.ip_size();
  r->rtm_family = destination.is_v4() ? AF_INET : AF_INET6;
  r->rtm_dst_len = static_cast<unsigned char>(bytes * 8);
  r->rtm_src_len = static_cast<unsigned char>(bytes * 8);
  add_attribute(*h, sizeof request, RTA_DST, destination.ip.data(), bytes);
  add_attribute(*h, sizeof request, RTA_SRC, source.ip.data(), bytes);

  std::optional<Egress> out;
  alignas(nlmsghdr) char reply[4096];
  if (::send(fd, request, h->nlmsg_len, 0) >= 0) {
    const ssize_t n = ::recv(fd, reply, sizeof reply, 0);
    if (n > 0) {
      auto* m = reinterpret_cast<nlmsghdr*>(reply);
      int len = static_cast<int>(n);
      for (; NLMSG_OK(m, len) && !out; m = NLMSG_NEXT(m, len)) {
        if (m->nlmsg_type != RTM_NEWROUTE)
          break;  // NLMSG_ERROR: no route
        const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(m));
        Egress e;
        e.local = rt->rtm_type == RTN_LOCAL;
        int attributes = static_cast<int>(RTM_PAYLOAD(m));
        for (auto* a = RTM_RTA(rt); RTA_OK(a, attributes); a = RTA_NEXT(a, attributes)) {
          if (a->rta_type == RTA_OIF)
            std::memcpy(&e.ifindex, RTA_DATA(a), sizeof e.ifindex);
        }
        if (e.local || e.ifindex > 0)
          out = e;
      }
    }
  }
  ::close(fd);
  return out;
}

}  // namespace turn
