// The TURN signalling of one client as a non-blocking state machine: it says which request to
// send and reacts to responses and timers, and never touches a socket itself. That lets one thread
// drive hundreds of clients through setup at once, and lets the same code run the allocation-rate
// cycles and the keepalives of a long hold.
//
// Long-term credentials (RFC 8489 §9.2): the first Allocate goes without credentials, the 401
// gives REALM and NONCE, every later request carries USERNAME, REALM, NONCE and
// MESSAGE-INTEGRITY; a 438 (stale nonce) brings a new NONCE and the request is sent again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stun/address.hpp"
#include "stun/message_view.hpp"
#include "stun/types.hpp"

namespace load {

struct Credentials {
  std::string user;
  std::string password;
};

/// What the session sets up after the allocation.
enum class Goal : std::uint8_t {
  kChannel,     ///< ChannelBind to the peer
  kPermission,  ///< CreatePermission for the peer (Send/Data indications)
  kAllocCycle,  ///< Refresh LIFETIME 0: delete the allocation again (allocation-rate test)
};

class TurnSession {
 public:
  enum class Status : std::uint8_t {
    kWaiting,  ///< a request is outstanding; nothing to do
    kSend,     ///< send request() now
    kReady,    ///< the goal is reached (or the keepalive is done)
    kFailed,   ///< error() says why
  };

  /// Retransmission over UDP: every kRto, at most kMaxRetransmits times; over TCP the same total
  /// time without retransmitting.
  static constexpr std::uint64_t kRtoNs = 500'000'000;
  static constexpr int kMaxRetransmits = 3;

  TurnSession(const Credentials* credentials, Goal goal, const stun::SocketAddress& peer,
              std::uint16_t channel, bool reliable);

  /// Starts from nothing: an Allocate without credentials.
  Status start(std::uint64_t now);
  /// Keeps a set-up client alive: Refresh (default lifetime), then the ChannelBind or
  /// CreatePermission again (permissions last 300 s, channels 600 s; RFC 8656 §9, §12).
  Status keepalive(std::uint64_t now);
  /// Deletes the allocation: Refresh LIFETIME 0 (RFC 8656 §7.3), so that the next run finds the
  /// server as it was and cannot collide with a leftover allocation on a reused port (437).
  Status release(std::uint64_t now);
  /// A STUN message from the server; anything but the answer to the outstanding request is
  /// ignored.
  Status on_message(const stun::MessageView& m, std::uint64_t now);
  /// Retransmits or gives up once deadline() has passed.
  Status on_timer(std::uint64_t now);

  stun::Bytes request() const { return request_; }
  bool busy() const { return step_ != Step::kIdle; }
  /// When on_timer() wants to run; meaningless when !busy().
  std::uint64_t deadline() const { return deadline_; }
  const std::string& error() const { return error_; }
  /// The ERROR-CODE of the response that failed the session, 0 for other failures.
  int error_code() const { return error_code_; }
  const stun::SocketAddress& relay() const { return relay_; }
  std::uint32_t lifetime_s() const { return lifetime_s_; }
  std::uint16_t channel() const { return channel_; }

 private:
  enum class Step : std::uint8_t {
    kIdle,
    kProbe,        // Allocate without credentials, expecting 401
    kAllocate,     // Allocate with credentials
    kBind,         // ChannelBind / CreatePermission / Refresh 0, per goal
    kKeepRefresh,  // keepalive Refresh
    kKeepBind,     // keepalive ChannelBind / CreatePermission
    kRelease,      // Refresh LIFETIME 0 at the end of a run
  };

  Status begin(Step step, std::uint64_t now);
  /// (Re)encodes the current step's request with a fresh transaction id.
  void build();
  Status fail(std::string why);
  Status on_success(const stun::MessageView& m, std::uint64_t now);
  Status on_error(const stun::MessageView& m, std::uint64_t now);
  stun::Method method_of_step() const;

  const Credentials* credentials_;
  Goal goal_;
  stun::SocketAddress peer_;
  std::uint16_t channel_;
  bool reliable_;

  Step step_ = Step::kIdle;
  bool authenticated_ = true;  ///< false if the server allocated without a challenge
  int auth_retries_ = 0;       ///< 401/438 answered in this step
  int retransmits_ = 0;
  std::uint64_t deadline_ = 0;
  stun::TransactionId tid_{};
  std::vector<std::uint8_t> request_;
  std::string realm_;
  std::string nonce_;
  std::string error_;
  int error_code_ = 0;
  stun::SocketAddress relay_;
  std::uint32_t lifetime_s_ = 0;
};

}  // namespace load
