// RFC 6062 TCP relaying, owned in one place: Connect (§5.2) and its late answer, the peers a TCP
// allocation accepts and their ConnectionAttempt (§5.3), ConnectionBind (§5.4) with the move of a
// data connection to the worker that owns its peer (through that worker's HandoffInbox), the
// splice of the two byte streams, and the 30-second bind timeout. The client's TCP/TLS
// connections stay StreamClients'; the relay splices the bound ones (StreamSplicer).
#pragma once

#include <uv.h>

#include <cstdint>
#include <unordered_map>

#include "conn/peer_connection.hpp"
#include "conn/stream_client.hpp"
#include "conn/stream_clients.hpp"
#include "handlers/turn_context.hpp"
#include "state/handoff_inbox.hpp"

namespace turn {

class TcpRelay final : public TcpRelayControl, public StreamSplicer {
 public:
  /// `inbox`: this worker's, where other workers post data connections for it.
  /// Attaches itself to `streams` as the splicer of their bound data connections.
  TcpRelay(uv_loop_t* loop, TurnContext& ctx, StreamClients& streams, HandoffInbox* inbox);
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  // TcpRelayControl (what the Connect and ConnectionBind handlers call).
  bool has_peer_connection(const Allocation& a, const stun::SocketAddress& peer) const override;
  bool start_peer_connect(Allocation& a, const stun::SocketAddress& peer, const ClientKey& control,
                          const stun::TransactionId& tid, const AuthOutcome& auth,
                          bool fingerprint) override;
  void bind_data_connection(const ClientKey& key, std::uint32_t connection_id,
                            const stun::TransactionId& tid, const AuthOutcome& auth,
                            bool fingerprint) override;

  /// §5.3: the listening relay socket of TCP allocation `a` is readable.
  void accept_peers(int listen_fd, Allocation& a);
  /// A data connection posted to this worker's inbox (or bound on this worker).
  void adopt(DataHandoff&& handoff);
  /// Moves bytes between a bound data connection and its peer, as far as the receiving side's
  /// output has room (TCP's own flow control does the rest).
  void splice(StreamClient& client, PeerConnection& peer);
  /// Asks the loop for the events `p` needs now.
  void watch_peer(PeerConnection& p);
  void close_peer(PeerConnection& p, const char* why);
  /// The allocation ends: its peer connections, and their data connections, with it.
  void end_allocation(Allocation& a);
  /// Connects and binds that took too long (§5.2: 447; §5.3: closed).
  void sweep_peers(std::uint64_t now);

  // StreamSplicer: the data connections' side of the splice.
  void spliced_input(StreamClient& s, bool client_closed) override;
  void spliced_ready(StreamClient& s) override;
  void unsplice(StreamClient& s, const char* why) override;

 private:
  static void on_peer_event(uv_poll_t* handle, int status, int events);
  /// RFC 6062 CONNECTION-ID (§6.2.1): this worker's index in the top byte, the rest from the
  /// CSPRNG, so a client cannot guess another's id from its own.
  std::uint32_t new_peer_connection_id();
  PeerConnection* add_peer_connection(int fd, Allocation& a, const stun::SocketAddress& peer,
                                      PeerConnection::State state);
  void finish_connect(PeerConnection& p);
  /// Builds and sends an answer outside a request handler (Connect's and ConnectionBind's come
  /// later), signed with `auth`'s key when it has one.
  void send_late_response(const ClientKey& key, stun::Method method, stun::Class cls,
                          const stun::TransactionId& tid, const AuthOutcome& auth, bool fingerprint,
                          stun::ErrorCode error, std::uint32_t connection_id);

  uv_loop_t* loop_;
  TurnContext& ctx_;
  StreamClients& streams_;
  HandoffInbox* inbox_;
  std::unordered_map<std::uint32_t, PeerConnection*> peers_;  ///< by CONNECTION-ID
};

}  // namespace turn
