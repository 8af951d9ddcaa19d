// RFC 6062 §5.4: a ConnectionBind may arrive on a data connection that any worker of the
// SO_REUSEPORT group accepted, while the peer connection it names belongs to the worker in the
// CONNECTION-ID's top byte. The connection is moved to that worker as a message through its
// inbox; no worker ever touches another worker's objects.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "alloc/allocation.hpp"
#include "auth/authenticator.hpp"
#include "guard/connection_limiter.hpp"
#include "net/stream_connection.hpp"
#include "stun/types.hpp"

namespace turn {

/// An RFC 6062 data connection on its way to the worker that owns its peer connection.
struct DataHandoff {
  StreamConnection conn;
  ClientKey key;  ///< client address and listener (listener indexes are the same in every worker)
  std::uint32_t connection_id = 0;
  stun::TransactionId tid{};
  AuthOutcome auth;
  bool fingerprint = false;
  ConnectionLimiter::Slot slot;  ///< the connection's count moves with it
};

/// One worker's inbox. Any thread may post; only the owner takes.
class HandoffInbox {
 public:
  /// The owner is ready: `wake` (its loop's async wakeup, thread-safe) runs after each post.
  void open(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
    open_ = true;
  }
  /// False when the owner is not running (the connection then closes with `handoff`).
  bool post(DataHandoff&& handoff) {
    std::lock_guard lock(mu_);
    if (!open_)
      return false;
    queued_.push_back(std::move(handoff));
    wake_();  // under the lock, so close() cannot tear the wakeup down meanwhile
    return true;
  }
  std::vector<DataHandoff> take() {
    std::vector<DataHandoff> taken;
    std::lock_guard lock(mu_);
    taken.swap(queued_);
    return taken;
  }
  /// The owner shuts down: nothing more is accepted; `teardown` (closing the wakeup) runs
  /// under the lock, so no post can be using it.
  void close(const std::function<void()>& teardown) {
    std::lock_guard lock(mu_);
    open_ = false;
    queued_.clear();
    wake_ = nullptr;
    teardown();
  }

 private:
  std::mutex mu_;
  bool open_ = false;
  std::function<void()> wake_;
  std::vector<DataHandoff> queued_;
};

/// Every worker's inbox, by worker index; sized once, before the workers start.
class HandoffRouter {
 public:
  void resize(std::size_t workers) {
    inboxes_.clear();
    for (std::size_t i = 0; i < workers; ++i)
      inboxes_.push_back(std::make_unique<HandoffInbox>());
  }
  /// The inbox of `worker`, or null when no such worker exists (a forged CONNECTION-ID).
  HandoffInbox* inbox(unsigned worker) {
    return worker < inboxes_.size() ? inboxes_[worker].get() : nullptr;
  }

 private:
  std::vector<std::unique_ptr<HandoffInbox>> inboxes_;
};

}  // namespace turn
