#include "forwarder.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "stun/bytes.hpp"
#include "stun/channel_data.hpp"

namespace floorfwd {

namespace {

/// Only the echo peer may send to a relay socket, like a TURN permission for one address.
bool same_endpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family)
    return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
  return x.sin6_port == y.sin6_port &&
         std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(x.sin6_addr)) == 0;
}

std::uint64_t monotonic_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

void add_to_epoll(int epoll, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
}

}  // namespace

Forwarder::Forwarder(const Config& config, int listener, std::atomic<std::size_t>& total_clients,
                     const std::atomic<bool>& stop)
    : config_(config),
      listener_(listener),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      total_clients_(total_clients),
      stop_(stop),
      slots_(kSlots * kSlotSize),
      from_(kSlots),
      iovs_(kSlots),
      msgs_(kSlots) {
  peer_len_ = config_.peer.to_sockaddr(peer_ss_);
  queue_.set_gso_enabled(config_.gso);
  add_to_epoll(epoll_, listener_);
}

Forwarder::~Forwarder() {
  for (const Client& c : clients_) {
    if (c.relay_fd >= 0)
      ::close(c.relay_fd);
  }
  ::close(listener_);
  ::close(epoll_);
}

ForwarderStats Forwarder::stats() const {
  ForwarderStats s = stats_;
  s.send = queue_.stats();
  return s;
}

int Forwarder::open_relay() {
  const int fd = ::socket(config_.relay_ip.is_v6() ? AF_INET6 : AF_INET,
                          SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_storage ss;
  const socklen_t len = config_.relay_ip.to_sockaddr(ss);  // port 0: the kernel picks one
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  if (static_cast<std::size_t>(fd) >= client_of_fd_.size())
    client_of_fd_.resize(static_cast<std::size_t>(fd) + 1, -1);
  return fd;
}

int Forwarder::client_for(std::size_t slot) {
  auto address =
      stun::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&from_[slot]));
  if (!address)
    return -1;
  if (auto it = by_address_.find(*address); it != by_address_.end()) {
    clients_[it->second].last_seen_ns = now_ns_;
    return static_cast<int>(it->second);
  }
  if (total_clients_.fetch_add(1) >= config_.max_clients) {
    total_clients_.fetch_sub(1);
    return -1;
  }
  const int fd = open_relay();
  if (fd < 0) {
    total_clients_.fetch_sub(1);
    return -1;
  }
  const Client client{from_[slot], msgs_[slot].msg_hdr.msg_namelen, fd, now_ns_};
  std::uint32_t index;
  if (free_.empty()) {
    index = static_cast<std::uint32_t>(clients_.size());
    clients_.push_back(client);
  } else {
    index = free_.back();
    free_.pop_back();
    clients_[index] = client;
  }
  by_address_.emplace(*address, index);
  client_of_fd_[static_cast<std::size_t>(fd)] = static_cast<std::int32_t>(index);
  add_to_epoll(epoll_, fd);
  ++stats_.clients;
  return static_cast<int>(index);
}

int Forwarder::receive(int fd) {
  if (next_slot_ + kBatch > kSlots) {
    // Every slot holds a queued datagram: send them, then the slots are free again.
    queue_.flush();
    next_slot_ = 0;
  }
  const std::size_t base = next_slot_;
  for (std::size_t s = base; s < base + kBatch; ++s) {
    // Receive at an offset, so that a ChannelData header fits in front of a peer's datagram.
    iovs_[s] = {slots_.data() + s * kSlotSize + kHeadroom, kSlotSize - kHeadroom};
    msgs_[s] = {};
    msgs_[s].msg_hdr.msg_name = &from_[s];
    msgs_[s].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[s].msg_hdr.msg_iov = &iovs_[s];
    msgs_[s].msg_hdr.msg_iovlen = 1;
  }
  ++stats_.recvmmsg_calls;
  const int n = ::recvmmsg(fd, &msgs_[base], kBatch, MSG_DONTWAIT, nullptr);
  if (n > 0)
    next_slot_ += static_cast<std::size_t>(n);
  return n;
}

void Forwarder::on_listener() {
  for (int round = 0; round < 8; ++round) {
    const int n = receive(listener_);
    if (n <= 0)
      return;
    for (std::size_t s = next_slot_ - static_cast<std::size_t>(n); s < next_slot_; ++s) {
      const std::uint8_t* data = slots_.data() + s * kSlotSize + kHeadroom;
      const std::size_t len = msgs_[s].msg_len;
      if ((msgs_[s].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len < stun::kChannelDataHeaderSize) {
        ++stats_.rejected;
        continue;
      }
      const std::uint16_t channel = stun::load_u16(data);
      const std::size_t length = stun::load_u16(data + 2);
      if (!stun::is_valid_channel(channel) || length + stun::kChannelDataHeaderSize > len) {
        ++stats_.rejected;
        continue;
      }
      const int c = client_for(s);
      if (c < 0) {
        ++stats_.rejected;
        continue;
      }
      // Client -> peer: the payload alone, from the client's relay socket.
      queue_.push(clients_[static_cast<std::size_t>(c)].relay_fd,
                  reinterpret_cast<const sockaddr*>(&peer_ss_), peer_len_,
                  data + stun::kChannelDataHeaderSize, length);
      ++stats_.to_peer;
    }
    if (static_cast<std::size_t>(n) < kBatch)
      return;
  }
}

void Forwarder::on_relay(int fd) {
  const std::int32_t c = client_of_fd_[static_cast<std::size_t>(fd)];
  if (c < 0)
    return;
  const Client& client = clients_[static_cast<std::size_t>(c)];
  for (int round = 0; round < 8; ++round) {
    const int n = receive(fd);
    if (n <= 0)
      return;
    for (std::size_t s = next_slot_ - static_cast<std::size_t>(n); s < next_slot_; ++s) {
      const std::size_t len = msgs_[s].msg_len;
      if ((msgs_[s].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len > 0xFFFF ||
          !same_endpoint(from_[s], peer_ss_)) {
        ++stats_.rejected;
        continue;
      }
      // Peer -> client: the header goes into the headroom, so the datagram is one buffer.
      std::uint8_t* header = slots_.data() + s * kSlotSize;
      stun::write_channel_data_header(header, stun::kMinChannel, static_cast<std::uint16_t>(len));
      queue_.push(listener_, reinterpret_cast<const sockaddr*>(&client.addr), client.addr_len,
                  header, len + stun::kChannelDataHeaderSize);
      ++stats_.to_client;
    }
    if (static_cast<std::size_t>(n) < kBatch)
      return;
  }
}

void Forwarder::sweep(std::uint64_t now) {
  for (std::uint32_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    if (c.relay_fd < 0 || now - c.last_seen_ns < kIdleNs)
      continue;
    if (auto a = stun::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&c.addr)))
      by_address_.erase(*a);
    client_of_fd_[static_cast<std::size_t>(c.relay_fd)] = -1;
    ::close(c.relay_fd);  // also leaves the epoll set
    c.relay_fd = -1;
    free_.push_back(i);
    total_clients_.fetch_sub(1);
    ++stats_.expired;
  }
}

void Forwarder::run() {
  epoll_event events[256];
  next_sweep_ns_ = monotonic_ns() + kSweepEveryNs;
  while (!stop_.load(std::memory_order_relaxed)) {
    const int n = ::epoll_wait(epoll_, events, 256, 200);
    now_ns_ = monotonic_ns();
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener_)
        on_listener();
      else
        on_relay(fd);
    }
    // One flush per wakeup: everything received in this round leaves in as few calls as possible.
    queue_.flush();
    next_slot_ = 0;
    if (now_ns_ >= next_sweep_ns_) {
      sweep(now_ns_);
      next_sweep_ns_ = now_ns_ + kSweepEveryNs;
    }
  }
}

}  // namespace floorfwd
