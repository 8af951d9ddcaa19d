// Per-worker counters. Each worker is the only writer of its shard; readers (logs, the future
// Prometheus collector) sum the shards. Relaxed atomics compile to plain loads and stores on x86.
#pragma once

#include <atomic>
#include <cstdint>

namespace turn {

#define TURND_WORKER_COUNTERS(X)                                                               \
  X(stun_binding_requests, "STUN Binding requests answered")                                   \
  X(stun_binding_errors, "STUN Binding requests answered with an error")                       \
  X(allocations_created, "allocations created")                                                \
  X(allocations_deleted, "allocations deleted by Refresh with LIFETIME 0")                     \
  X(allocations_expired, "allocations that timed out")                                         \
  X(auth_failures, "requests refused for bad or missing credentials")                          \
  X(error_responses, "error responses sent")                                                   \
  X(malformed_packets, "datagrams dropped as malformed")                                       \
  X(unknown_packets, "datagrams dropped because their first byte is not STUN/ChannelData")     \
  X(no_allocation_packets, "ChannelData/Send with no allocation on this 5-tuple")              \
  X(no_permission_packets, "relayed packets dropped for lack of a permission or channel")      \
  X(peer_denied, "peers refused by the peer policy (403)")                                     \
  X(truncated_packets, "datagrams larger than the receive buffer")                             \
  X(bandwidth_dropped_packets, "relayed packets dropped by max-bps")                           \
  X(send_errors, "response sendmsg failures (EAGAIN included)")                                \
  X(relay_send_calls, "sendmmsg/sendmsg calls carrying relayed datagrams")                     \
  X(relay_sent_datagrams, "relayed datagrams handed to the kernel")                            \
  X(relay_gso_batches, "UDP GSO sends carrying several relayed datagrams")                     \
  X(relay_send_errors, "relayed datagrams the kernel refused (EAGAIN included)")               \
  X(recvmmsg_calls, "recvmmsg calls")                                                          \
  X(recvmmsg_packets, "datagrams returned by recvmmsg")                                        \
  X(client_to_peer_packets, "packets relayed client -> peer")                                  \
  X(client_to_peer_bytes, "payload bytes relayed client -> peer")                              \
  X(peer_to_client_packets, "packets relayed peer -> client")                                  \
  X(peer_to_client_bytes, "payload bytes relayed peer -> client")                              \
  X(stream_connections, "TCP/TLS client connections accepted")                                 \
  X(stream_frames, "STUN/ChannelData frames received over TCP/TLS")                            \
  X(tls_handshakes, "TLS handshakes completed")                                                \
  X(tls_failures, "TLS connections closed by a failed handshake or a bad record")              \
  X(stream_timeouts, "TCP/TLS connections closed for not completing a message in time")        \
  X(stream_idle_closed, "TCP/TLS connections without an allocation closed when idle")          \
  X(stream_frame_errors, "TCP/TLS connections closed for bytes that are not STUN/ChannelData") \
  X(stream_dropped_messages, "messages dropped because a client's output buffer was full")     \
  X(accept_errors, "accept() failures other than nothing pending")                             \
  X(dtls_sessions, "DTLS sessions created (after a valid cookie)")

struct WorkerStats {
#define TURND_DECLARE_COUNTER(name, help) std::atomic<std::uint64_t> name{0};
  TURND_WORKER_COUNTERS(TURND_DECLARE_COUNTER)
#undef TURND_DECLARE_COUNTER
  std::atomic<std::uint64_t> active_allocations{0};  ///< gauge
  std::atomic<std::uint64_t> active_connections{0};  ///< gauge: TCP/TLS/DTLS clients

  /// Single-writer increment: no lock prefix needed.
  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

}  // namespace turn
