// Keeps turnd's copy of a database server's users current without ever putting the database
// on the relay path: one thread reads the whole database when it announces a change (Redis
// keyspace notifications) or every `userdb-refresh` seconds, and hands the contents to the
// control loop only when they differ from the last read. While the server is unreachable the
// last good contents keep serving: the outage is logged once, retried with a growing pause
// (1 s up to 10 s), and its end logged once.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "userdb/remote_db.hpp"

namespace turn::userdb {

class RemoteDbWatcher {
 public:
  /// Starts the thread. `reachable`: whether the caller's own first read (at startup) worked;
  /// `last` what it read. `wake` runs on the watcher thread whenever take() has news.
  RemoteDbWatcher(RemoteDb db, unsigned refresh_s, bool reachable, std::optional<DbContents> last,
                  std::function<void()> wake);
  /// Stops and joins the thread (at most one bounded database wait).
  ~RemoteDbWatcher();
  RemoteDbWatcher(const RemoteDbWatcher&) = delete;
  RemoteDbWatcher& operator=(const RemoteDbWatcher&) = delete;

  /// The contents read since the last take(), if they changed.
  std::optional<DbContents> take();
  /// Read again now (SIGHUP), whatever the timers say.
  void refresh_now();
  const RemoteDbSpec& spec() const { return spec_; }
  /// Whether the last attempt reached the database.
  bool reachable() const { return reachable_.load(std::memory_order_relaxed); }

 private:
  void run();
  void signal();

  RemoteDb db_;
  const RemoteDbSpec spec_;
  const unsigned refresh_s_;
  std::function<void()> wake_;
  std::atomic<bool> reachable_;
  std::atomic<bool> stop_{false};
  int event_fd_ = -1;
  std::optional<DbContents> last_;  ///< the watcher thread's
  std::mutex mu_;
  std::optional<DbContents> pending_;  ///< under mu_
  std::thread thread_;
};

}  // namespace turn::userdb
