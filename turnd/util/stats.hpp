// Per-worker counters. Each worker is the only writer of its shard; readers (Server::totals() for
// the logs and the Prometheus exporter in metrics/) sum the shards. Relaxed atomics compile to
// plain loads and stores on x86.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace turn {

#define TURND_WORKER_COUNTERS(X)                                                                   \
  X(stun_binding_requests, "STUN Binding requests answered")                                       \
  X(stun_binding_errors, "STUN Binding requests answered with an error")                           \
  X(allocations_created, "allocations created")                                                    \
  X(allocations_deleted, "allocations deleted by Refresh with LIFETIME 0")                         \
  X(allocations_expired, "allocations that timed out")                                             \
  X(auth_failures, "requests refused for bad or missing credentials")                              \
  X(error_responses, "error responses sent")                                                       \
  X(alternate_redirects, "Allocate requests answered 300 Try Alternate (ALTERNATE-SERVER)")        \
  X(malformed_packets, "datagrams dropped as malformed")                                           \
  X(unknown_packets, "datagrams dropped because their first byte is not STUN/ChannelData")         \
  X(no_allocation_packets, "ChannelData/Send with no allocation on this 5-tuple")                  \
  X(no_permission_packets, "relayed packets dropped for lack of a permission or channel")          \
  X(peer_denied, "peers refused by the peer policy (403)")                                         \
  X(truncated_packets, "datagrams larger than the receive buffer")                                 \
  X(bandwidth_dropped_packets, "relayed packets dropped by max-bps")                               \
  X(send_errors, "response sendmsg failures (EAGAIN included)")                                    \
  X(relay_send_calls, "sendmmsg/sendmsg calls carrying relayed datagrams")                         \
  X(relay_sent_datagrams, "relayed datagrams handed to the kernel")                                \
  X(relay_gso_batches, "UDP GSO sends carrying several relayed datagrams")                         \
  X(relay_send_errors, "relayed datagrams the kernel refused (EAGAIN included)")                   \
  X(recvmmsg_calls, "recvmmsg calls")                                                              \
  X(recvmmsg_packets, "datagrams returned by recvmmsg")                                            \
  X(loop_pauses, "pauses of the loop pacer to batch datagrams (relay-coalesce-us)")                \
  X(client_to_peer_packets, "packets relayed client -> peer")                                      \
  X(client_to_peer_bytes, "payload bytes relayed client -> peer")                                  \
  X(peer_to_client_packets, "packets relayed peer -> client")                                      \
  X(peer_to_client_bytes, "payload bytes relayed peer -> client")                                  \
  X(stream_connections, "TCP/TLS client connections accepted")                                     \
  X(stream_frames, "STUN/ChannelData frames received over TCP/TLS")                                \
  X(tls_handshakes, "TLS handshakes completed")                                                    \
  X(tls_failures, "TLS connections closed by a failed handshake or a bad record")                  \
  X(stream_timeouts, "TCP/TLS connections closed for not completing a message in time")            \
  X(stream_idle_closed, "TCP/TLS connections without an allocation closed when idle")              \
  X(stream_frame_errors, "TCP/TLS connections closed for bytes that are not STUN/ChannelData")     \
  X(stream_dropped_messages, "messages dropped because a client's output buffer was full")         \
  X(accept_errors, "accept() failures other than nothing pending")                                 \
  X(dtls_sessions, "DTLS sessions created (after a valid cookie)")                                 \
  X(auth_unverified, "requests with credentials but no nonce issued to their source (unlogged)")   \
  X(banned_packets, "datagrams and frames dropped because their source is banned")                 \
  X(unauthenticated_401_requests, "UDP requests that needed a 401 answer")                         \
  X(unauthenticated_401_responses, "UDP 401 answers sent")                                         \
  X(unauthenticated_401_dropped, "UDP 401 answers dropped by unauthorized-ratelimit")              \
  X(unauthenticated_errors_dropped,                                                                \
    "other unsigned UDP error answers dropped by unauthorized-ratelimit")                          \
  X(rate_limited_requests, "requests dropped unread by request-ratelimit-rps")                     \
  X(permissions_refused, "CreatePermission/ChannelBind refused by max-allocation-permissions")     \
  X(channels_refused, "ChannelBind refused by max-allocation-channels")                            \
  X(tcp_peer_connections_refused, "RFC 6062 peer connections refused by max-tcp-peer-connections") \
  X(connections_refused, "TCP/TLS connections and DTLS sessions refused by max-connections*")      \
  X(accept_backoffs, "pauses of a TCP listener after accept() ran out of file descriptors")        \
  X(offload_flows_installed, "channels handed to the kernel fast path")                            \
  X(offload_flows_removed, "channels taken back from the kernel fast path")                        \
  X(offload_install_failures, "channels the kernel fast path could not take (maps full)")          \
  X(offloaded_packets, "packets the kernel fast path relayed (both directions)")

/// How an allocation's client reaches the server (Prometheus turn_total_allocations{type}).
enum class ClientTransport : std::uint8_t { kUdp, kTcp, kTls, kDtls };
inline constexpr std::size_t kClientTransports = 4;

/// "UDP", "TCP", "TLS" or "DTLS", as logs and the fail2ban filter show it.
inline const char* client_transport_name(ClientTransport t) {
  switch (t) {
    case ClientTransport::kTcp:
      return "TCP";
    case ClientTransport::kTls:
      return "TLS";
    case ClientTransport::kDtls:
      return "DTLS";
    case ClientTransport::kUdp:
      break;
  }
  return "UDP";
}

/// One row of coturn's per-session traffic metrics (turn_traffic_*), added when a session ends.
struct SessionTraffic {
  std::uint64_t client_packets = 0;  ///< received from the client, sent to the peer
  std::uint64_t client_bytes = 0;
  std::uint64_t peer_packets = 0;  ///< received from the peer, sent to the client
  std::uint64_t peer_bytes = 0;
};

/// Ended sessions' traffic by user ("" when prometheus-username-labels is off: one row for the
/// realm). The worker takes the mutex once per allocation end, never per packet; a scrape takes
/// it to copy the rows. Bounded: at most kMaxUsers distinct users, later ones fold into "other",
/// so a flood of distinct usernames cannot grow the table (or the scrape) without bound.
class SessionTrafficTable {
 public:
  static constexpr std::size_t kMaxUsers = 10000;

  void add(const std::string& user, const SessionTraffic& t) {
    std::lock_guard lock(mu_);
    auto it = rows_.find(user);
    if (it == rows_.end())
      it = rows_.try_emplace(rows_.size() < kMaxUsers ? user : std::string("other")).first;
    it->second.client_packets += t.client_packets;
    it->second.client_bytes += t.client_bytes;
    it->second.peer_packets += t.peer_packets;
    it->second.peer_bytes += t.peer_bytes;
  }
  /// Adds every row into `out` (summing the workers' tables).
  void sum_into(std::map<std::string, SessionTraffic>& out) const {
    std::lock_guard lock(mu_);
    for (const auto& [user, t] : rows_) {
      SessionTraffic& o = out[user];
      o.client_packets += t.client_packets;
      o.client_bytes += t.client_bytes;
      o.peer_packets += t.peer_packets;
      o.peer_bytes += t.peer_bytes;
    }
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, SessionTraffic> rows_;
};

/// How late a worker's loop runs its 250 ms sweep timer: the time the loop spent elsewhere
/// (relaying a burst, a slow handler) before it got to the timer. Buckets of a Prometheus
/// histogram (turnd_loop_lag_seconds), non-cumulative here; the last one is +Inf.
struct LoopLagHistogram {
  static constexpr std::array<std::uint64_t, 9> kUpperBoundsUs = {
      1'000, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000};
  std::array<std::atomic<std::uint64_t>, kUpperBoundsUs.size() + 1> buckets{};
  std::atomic<std::uint64_t> sum_us{0};

  /// Single writer (the worker).
  void record(std::uint64_t lag_us) {
    std::size_t i = 0;
    while (i < kUpperBoundsUs.size() && lag_us > kUpperBoundsUs[i])
      ++i;
    buckets[i].store(buckets[i].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sum_us.store(sum_us.load(std::memory_order_relaxed) + lag_us, std::memory_order_relaxed);
  }
};

struct WorkerStats {
#define TURND_DECLARE_COUNTER(name, help) std::atomic<std::uint64_t> name{0};
  TURND_WORKER_COUNTERS(TURND_DECLARE_COUNTER)
#undef TURND_DECLARE_COUNTER
  std::atomic<std::uint64_t> active_allocations{0};  ///< gauge
  std::atomic<std::uint64_t> active_connections{0};  ///< gauge: TCP/TLS/DTLS clients
  std::atomic<std::uint64_t> offloaded_flows{0};     ///< gauge: channels the kernel relays
  /// Gauges: active allocations by ClientTransport (index = the enum's value).
  std::array<std::atomic<std::uint64_t>, kClientTransports> active_allocations_by_transport{};
  /// Ended sessions' traffic (turn_traffic_*), filled only when prometheus is on.
  SessionTrafficTable session_traffic;
  LoopLagHistogram loop_lag;

  /// Single-writer increment: no lock prefix needed.
  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  /// Single-writer decrement of a gauge.
  static void sub(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
};

}  // namespace turn
