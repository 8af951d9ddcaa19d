#include "options.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

namespace load {

namespace {

/// HOST:PORT with a port; only loopback addresses, because this tool floods what it talks to and
/// must never be pointed at a machine someone else uses.
stun::SocketAddress parse_endpoint(const std::string& text, const char* what, bool port_required) {
  auto a = stun::SocketAddress::parse(text);
  if (!a || (port_required && a->port == 0)) {
    std::cerr << "turnd_load: " << what << " must be HOST:PORT, got '" << text << "'\n";
    std::exit(2);
  }
  bool loopback = a->is_v4() && a->ip[0] == 127;
  if (a->is_v6()) {
    loopback = a->ip[15] == 1;
    for (int i = 0; i < 15; ++i)
      loopback = loopback && a->ip[static_cast<std::size_t>(i)] == 0;
  }
  if (!loopback) {
    std::cerr << "turnd_load: " << what << " must be a loopback address, got '" << text << "'\n";
    std::exit(2);
  }
  return *a;
}

}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  std::string server = "127.0.0.1:3478";
  std::string transport = "udp";
  std::string mode = "channel";
  std::string shape = "audio";
  std::string bind;
  std::string peer_bind = "127.0.0.1:0";
  std::string peer;
  double rate = 0;

  CLI::App app{"turnd_load: TURN load generator (relayed throughput, RTT, allocation rate)"};
  app.add_option("--server", server, "TURN server (or turnd_floor) HOST:PORT")
      ->capture_default_str();
  app.add_option("--transport", transport, "client transport to the server")
      ->check(CLI::IsMember({"udp", "tcp"}))
      ->capture_default_str();
  app.add_option("--user", o.user, "long-term credential user name")->capture_default_str();
  app.add_option("--password", o.password, "long-term credential password")->capture_default_str();
  app.add_option("--clients", o.clients, "clients, each with its own socket and allocation")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--mode", mode,
                 "channel | send | floor | direct (no relay: plain UDP to the echo peer) | alloc | "
                 "hold")
      ->check(CLI::IsMember({"channel", "send", "floor", "direct", "alloc", "hold"}))
      ->capture_default_str();
  app.add_option("--shape", shape, "traffic shape: audio | video | flat")
      ->check(CLI::IsMember({"audio", "video", "flat"}))
      ->capture_default_str();
  auto* size_opt =
      app.add_option("--size", o.size, "payload bytes per packet (default 200; 1200 for video)")
          ->check(CLI::Range(16, 8192));
  app.add_option("--rate", rate, "audio: total packets/s spread evenly over the clients")
      ->check(CLI::PositiveNumber);
  app.add_option("--burst", o.burst, "video: packets per burst")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--window", o.window, "flat: packets outstanding per client")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--inflight", o.inflight, "alloc: concurrent allocate/refresh loops")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--bind", bind,
                 "clients' source IP, e.g. 127.0.0.4 (default: the loopback address of the "
                 "server's family)");
  app.add_option("--peer-bind", peer_bind, "internal echo peer's HOST:PORT")->capture_default_str();
  app.add_option("--peer", peer, "external echo peer HOST:PORT (no internal one is started)");
  app.add_option("--duration", o.duration_s, "measured seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "seconds of traffic before the measured window")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }

  o.server = parse_endpoint(server, "--server", true);
  o.transport = transport == "tcp" ? Transport::kTcp : Transport::kUdp;
  o.mode = mode == "send"     ? Mode::kSend
           : mode == "floor"  ? Mode::kFloor
           : mode == "direct" ? Mode::kDirect
           : mode == "alloc"  ? Mode::kAlloc
           : mode == "hold"   ? Mode::kHold
                              : Mode::kChannel;
  o.shape = shape == "video" ? Shape::kVideo : shape == "flat" ? Shape::kFlat : Shape::kAudio;
  if (size_opt->count() == 0 && o.shape == Shape::kVideo)
    o.size = 1200;
  if (rate > 0)
    o.rate = rate;
  if (!bind.empty()) {
    o.bind = parse_endpoint(bind, "--bind", false);
    o.bind.port = 0;  // the clients' ports are the kernel's choice
    if (o.bind.is_v6() != o.server.is_v6()) {
      std::cerr << "turnd_load: --bind and --server must be of one address family\n";
      std::exit(2);
    }
  }
  o.peer_bind = parse_endpoint(peer_bind, "--peer-bind", false);
  if (!peer.empty())
    o.peer = parse_endpoint(peer, "--peer", true);
  if (o.mode == Mode::kFloor && o.transport == Transport::kTcp) {
    std::cerr << "turnd_load: --mode floor is UDP only (turnd_floor has no TCP listener)\n";
    std::exit(2);
  }
  if (o.mode == Mode::kDirect && (o.transport == Transport::kTcp || o.peer)) {
    std::cerr << "turnd_load: --mode direct is UDP to the internal echo peer only\n";
    std::exit(2);
  }
  if (o.rate && o.shape != Shape::kAudio)
    std::cerr << "turnd_load: --rate applies to --shape audio only; ignored\n";
  return o;
}

const char* to_string(Transport t) {
  return t == Transport::kTcp ? "tcp" : "udp";
}

const char* to_string(Mode m) {
  switch (m) {
    case Mode::kChannel:
      return "channel";
    case Mode::kSend:
      return "send";
    case Mode::kFloor:
      return "floor";
    case Mode::kDirect:
      return "direct";
    case Mode::kAlloc:
      return "alloc";
    case Mode::kHold:
      return "hold";
  }
  return "?";
}

const char* to_string(Shape s) {
  switch (s) {
    case Shape::kAudio:
      return "audio";
    case Shape::kVideo:
      return "video";
    case Shape::kFlat:
      return "flat";
  }
  return "?";
}

}  // namespace load
