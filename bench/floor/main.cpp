// turnd_floor: the bare ChannelData <-> UDP forwarder that turnd's relay path is measured
// against. It keeps the shape of a TURN relay (one relay socket per client, ChannelData towards
// the client, plain UDP towards the peer) with every batching trick the kernel offers and no TURN
// logic at all, so the gap between it and turnd is the cost of being a TURN server.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "forwarder.hpp"

namespace floorfwd {

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop.store(true);
}

stun::SocketAddress parse_or_exit(const std::string& text, const char* what, bool with_port) {
  auto a = with_port ? stun::SocketAddress::parse(text) : stun::SocketAddress::parse_ip(text);
  if (!a || (with_port && a->port == 0 && std::string(what) != "--listen")) {
    std::cerr << "turnd_floor: bad " << what << " '" << text << "'\n";
    std::exit(2);
  }
  return *a;
}

/// A listener on `address` that shares the port with the other threads' (SO_REUSEPORT: the
/// kernel hashes each client's 4-tuple to one of them, so a client always meets the same thread).
int open_listener(const stun::SocketAddress& address, std::string& error) {
  const int fd =
      ::socket(address.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  // Room for bursts from thousands of clients between two wakeups.
  const int size = 16 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  sockaddr_storage ss;
  const socklen_t len = address.to_sockaddr(ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    error = "bind " + address.to_string() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

stun::SocketAddress bound_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return stun::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss))
      .value_or(stun::SocketAddress{});
}

int run(int argc, char** argv) {
  std::string listen = "127.0.0.1:3479";
  std::string peer;
  std::string relay_ip = "127.0.0.1";
  Config config;
  CLI::App app{"turnd_floor: bare ChannelData <-> UDP forwarder, the floor turnd is compared to"};
  app.add_option("--listen", listen, "client-facing HOST:PORT")->capture_default_str();
  app.add_option("--peer", peer, "the echo peer's HOST:PORT")->required();
  app.add_option("--relay-ip", relay_ip, "address of the per-client relay sockets")
      ->capture_default_str();
  app.add_option("--threads", config.threads, "forwarder threads (SO_REUSEPORT listeners)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--max-clients", config.max_clients, "clients (relay sockets) at most")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_flag("--gso", config.gso, "send same-size runs to one destination as UDP GSO");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  config.listen = parse_or_exit(listen, "--listen", true);
  config.peer = parse_or_exit(peer, "--peer", true);
  config.relay_ip = parse_or_exit(relay_ip, "--relay-ip", false);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  // The first listener may get a kernel-chosen port; the others join it on that port.
  std::vector<int> listeners;
  for (std::size_t i = 0; i < config.threads; ++i) {
    std::string error;
    const int fd = open_listener(config.listen, error);
    if (fd < 0) {
      std::cerr << "turnd_floor: cannot listen on " << config.listen.to_string() << ": " << error
                << "\n";
      for (int l : listeners)
        ::close(l);
      return 1;
    }
    listeners.push_back(fd);
    config.listen = bound_address(fd);
  }
  std::cerr << "turnd_floor: listening on " << config.listen.to_string() << " (" << config.threads
            << (config.threads == 1 ? " thread" : " threads") << "), peer "
            << config.peer.to_string() << ", relay ip " << config.relay_ip.ip_string() << "\n";

  std::atomic<std::size_t> total_clients{0};
  std::vector<std::unique_ptr<Forwarder>> forwarders;
  for (int fd : listeners)
    forwarders.push_back(std::make_unique<Forwarder>(config, fd, total_clients, g_stop));
  std::vector<std::thread> threads;
  for (auto& f : forwarders)
    threads.emplace_back([&f] { f->run(); });
  for (auto& t : threads)
    t.join();

  ForwarderStats total;
  for (const auto& f : forwarders) {
    const ForwarderStats s = f->stats();
    total.to_peer += s.to_peer;
    total.to_client += s.to_client;
    total.rejected += s.rejected;
    total.clients += s.clients;
    total.expired += s.expired;
    total.recvmmsg_calls += s.recvmmsg_calls;
    total.send.datagrams += s.send.datagrams;
    total.send.dropped += s.send.dropped;
    total.send.sendmmsg_calls += s.send.sendmmsg_calls;
    total.send.gso_messages += s.send.gso_messages;
    total.send.gso_datagrams += s.send.gso_datagrams;
  }
  std::cerr << "turnd_floor: " << total.clients << " clients (" << total.expired
            << " expired idle), " << total.to_peer << " to peer, " << total.to_client
            << " to clients, " << total.rejected << " rejected; " << total.send.datagrams
            << " sent in " << total.send.sendmmsg_calls << " sendmmsg calls ("
            << total.send.gso_datagrams << " in " << total.send.gso_messages << " GSO messages), "
            << total.send.dropped << " dropped, " << total.recvmmsg_calls << " recvmmsg calls\n";
  return 0;
}

}  // namespace

}  // namespace floorfwd

int main(int argc, char** argv) {
  return floorfwd::run(argc, argv);
}
