#include "userdb/remote_db_watcher.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "util/log.hpp"

namespace turn::userdb {
namespace {

/// With notifications on, a full read still runs this often: a notification lost while the
/// subscription reconnected must not leave the copy stale for good.
constexpr unsigned kNotifiedRefreshS = 60;
constexpr unsigned kMaxRetryS = 10;

}  // namespace

RemoteDbWatcher::RemoteDbWatcher(RemoteDb db, unsigned refresh_s, bool reachable,
                                 std::optional<DbContents> last, std::function<void()> wake)
    : db_(std::move(db)),
      spec_(db_.spec()),
      refresh_s_(std::max(1u, refresh_s)),
      wake_(std::move(wake)),
      reachable_(reachable),
      last_(std::move(last)) {
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { run(); });
}

RemoteDbWatcher::~RemoteDbWatcher() {
  stop_.store(true);
  signal();
  if (thread_.joinable())
    thread_.join();
  ::close(event_fd_);
}

void RemoteDbWatcher::signal() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void RemoteDbWatcher::refresh_now() {
  signal();
}

std::optional<DbContents> RemoteDbWatcher::take() {
  std::lock_guard lock(mu_);
  std::optional<DbContents> out = std::move(pending_);
  pending_.reset();
  return out;
}

void RemoteDbWatcher::run() {
  const std::string name = spec_.describe();
  unsigned failures = reachable_.load() ? 0 : 1;
  bool read_now = !reachable_.load();  // startup could not read: try again at once
  while (!stop_.load()) {
    if (read_now) {
      try {
        DbContents contents = db_.read();
        if (!reachable_.exchange(true)) {
          log::info("user database " + name +
                    " is reachable again: " + std::to_string(contents.users.size()) + " user(s)");
        }
        failures = 0;
        if (!last_ || *last_ != contents) {
          last_ = contents;
          {
            std::lock_guard lock(mu_);
            pending_ = std::move(contents);
          }
          wake_();
        }
      } catch (const std::exception& e) {
        if (reachable_.exchange(false)) {
          log::error("user database " + name + ": " + e.what() +
                     "; the last users read keep serving, retrying until it is back");
        }
        ++failures;
      }
    }
    const bool up = reachable_.load();
    const int change_fd = up ? db_.change_fd() : -1;
    const unsigned wait_s = !up ? std::min(kMaxRetryS, 1u << std::min(failures - 1, 4u))
                            : change_fd >= 0 ? std::max(refresh_s_, kNotifiedRefreshS)
                                             : refresh_s_;
    pollfd fds[2] = {{event_fd_, POLLIN, 0}, {change_fd, POLLIN, 0}};
    const int n = ::poll(fds, change_fd >= 0 ? 2 : 1, static_cast<int>(wait_s * 1000));
    if (n < 0 && errno != EINTR)
      break;
    read_now = true;
    if (n > 0 && (fds[0].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto r = ::read(event_fd_, &count, sizeof count);
    }
    if (n > 0 && change_fd >= 0 && fds[1].revents != 0) {
      // A turnadmin run is several writes: let the burst finish, then read once.
      ::poll(nullptr, 0, 50);
      db_.changes_announced();
    }
  }
}

}  // namespace turn::userdb
