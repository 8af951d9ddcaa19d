// Work another thread asks a loop to do on its own thread: the admin API's threads never touch
// a worker's allocations or the server's configuration; they post a task to the loop that owns
// them and wait for its answer. Any thread may post; only the owner runs the tasks.
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace turn {

class TaskInbox {
 public:
  using Task = std::function<void()>;

  /// The owner is ready: `wake` (its loop's async wakeup, thread-safe) runs after each post.
  void open(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
    open_ = true;
  }
  /// False when the owner is not running: the task will never run.
  bool post(Task task) {
    std::lock_guard lock(mu_);
    if (!open_)
      return false;
    queued_.push_back(std::move(task));
    wake_();  // under the lock, so close() cannot tear the wakeup down meanwhile
    return true;
  }
  /// On the owner's thread: runs what was posted so far.
  void run_posted() {
    std::vector<Task> taken;
    {
      std::lock_guard lock(mu_);
      taken.swap(queued_);
    }
    for (auto& task : taken)
      task();
  }
  /// The owner shuts down: queued tasks are dropped (their waiters time out or see a broken
  /// promise), nothing more is accepted; `teardown` (closing the wakeup) runs under the lock.
  void close(const std::function<void()>& teardown) {
    std::vector<Task> dropped;
    {
      std::lock_guard lock(mu_);
      open_ = false;
      dropped.swap(queued_);
      wake_ = nullptr;
      teardown();
    }
  }

 private:
  std::mutex mu_;
  bool open_ = false;
  std::function<void()> wake_;
  std::vector<Task> queued_;
};

}  // namespace turn
