#include "util/log.hpp"

#include "util/log_json.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <mutex>

namespace turn::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

/// The destination. Changed only by configure() and by the daily rollover, under the mutex;
/// writers copy the fd under it too (a plain lock, taken only when a line is written).
struct Destination {
  std::mutex mu;
  Options options;
  int fd = STDOUT_FILENO;
  std::string path;  ///< the file opened, "" for stdout/syslog
  int day = -1;      ///< day of year the file was opened for (rollover)
};

Destination& dest() {
  static Destination d;
  return d;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::kError:
      return "ERROR";
    case Level::kWarning:
      return "WARNING";
    case Level::kInfo:
      return "INFO";
    case Level::kVerbose:
      return "VERBOSE";
    case Level::kDebug:
      return "DEBUG";
  }
  return "?";
}

int syslog_priority(Level l) {
  switch (l) {
    case Level::kError:
      return LOG_ERR;
    case Level::kWarning:
      return LOG_WARNING;
    case Level::kInfo:
      return LOG_INFO;
    default:
      return LOG_DEBUG;
  }
}

int facility_of(const std::string& name) {
  static const std::pair<const char*, int> kFacilities[] = {
      {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}, {"daemon", LOG_DAEMON},
      {"user", LOG_USER},     {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}};
  for (const auto& [n, f] : kFacilities) {
    if (name == n)
      return f;
  }
  return LOG_USER;
}

bool to_syslog(const Options& o) {
  return o.syslog || o.file == "syslog";
}
bool to_stdout(const Options& o) {
  return o.file.empty() || o.file == "stdout" || o.file == "-";
}

/// coturn without simple-log: "dir/name.ext" becomes "dir/name_<pid>_<YYYY-MM-DD>.ext", a new
/// file every day.
std::string dated_path(const std::string& file, const tm& t) {
  char date[16];
  std::strftime(date, sizeof(date), "%Y-%m-%d", &t);
  const auto slash = file.rfind('/');
  const auto dot = file.rfind('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  const std::string stem = has_ext ? file.substr(0, dot) : file;
  const std::string ext = has_ext ? file.substr(dot) : ".log";
  return stem + "_" + std::to_string(::getpid()) + "_" + date + ext;
}

/// Opens the file for `t`'s day; keeps the old fd on failure. Caller holds the mutex.
bool open_file_locked(Destination& d, const tm& t) {
  const std::string path = d.options.simple ? d.options.file : dated_path(d.options.file, t);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0)
    return false;
  if (d.fd != STDOUT_FILENO)
    ::close(d.fd);
  d.fd = fd;
  d.path = path;
  d.day = t.tm_yday;
  return true;
}

std::string timestamp(const Options& o) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  char buf[96];
  if (!o.timestamp_format.empty()) {
    localtime_r(&tv.tv_sec, &t);
    const std::size_t n = std::strftime(buf, sizeof(buf), o.timestamp_format.c_str(), &t);
    return std::string(buf, n);
  }
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<long>(tv.tv_usec / 1000));
  return buf;
}

}  // namespace

bool configure(const Options& options) {
  Destination& d = dest();
  std::lock_guard lock(d.mu);
  const Options previous = d.options;
  d.options = options;
  g_level = static_cast<int>(options.level);
  if (to_syslog(options)) {
    ::openlog("turnd", LOG_PID | LOG_NDELAY, facility_of(options.syslog_facility));
  }
  if (to_syslog(options) || to_stdout(options)) {
    if (d.fd != STDOUT_FILENO)
      ::close(d.fd);
    d.fd = STDOUT_FILENO;
    d.path.clear();
    return true;
  }
  const time_t now = ::time(nullptr);
  tm t;
  localtime_r(&now, &t);
  if (!open_file_locked(d, t)) {
    d.options = previous;
    return false;
  }
  return true;
}

std::string current_file() {
  Destination& d = dest();
  std::lock_guard lock(d.mu);
  return d.path;
}

void set_level(Level level) {
  g_level = static_cast<int>(level);
}

bool enabled(Level level) {
  return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

bool parse_level(std::string_view text, Level& out) {
  static const std::pair<const char*, Level> kLevels[] = {{"error", Level::kError},
                                                          {"warning", Level::kWarning},
                                                          {"info", Level::kInfo},
                                                          {"verbose", Level::kVerbose},
                                                          {"debug", Level::kDebug}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) {
      out = level;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view message) {
  if (!enabled(level))
    return;
  Destination& d = dest();
  std::unique_lock lock(d.mu);
  if (to_syslog(d.options)) {
    lock.unlock();
    ::syslog(syslog_priority(level), "%s: %.*s", level_name(level),
             static_cast<int>(message.size()), message.data());
    return;
  }
  if (!d.path.empty() && !d.options.simple) {
    const time_t now = ::time(nullptr);
    tm t;
    localtime_r(&now, &t);
    if (t.tm_yday != d.day)
      open_file_locked(d, t);  // daily rollover
  }
  std::string line;
  if (d.options.json) {
    line = json_line(timestamp(d.options), level_name(level), message);
  } else {
    line = timestamp(d.options);
    line.append(" ").append(level_name(level)).append(": ").append(message);
  }
  line.push_back('\n');
  [[maybe_unused]] auto w = ::write(d.fd, line.data(), line.size());
  if (d.fd != STDOUT_FILENO && d.options.also_stdout) {
    [[maybe_unused]] auto w2 = ::write(STDOUT_FILENO, line.data(), line.size());
  }
}

std::string sanitize(std::string_view untrusted) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = untrusted.size() < 128 ? untrusted.size() : 128;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(untrusted[i]);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (untrusted.size() > n)
    out += "...";
  return out;
}

bool RateLimit::allow(std::uint64_t& suppressed) {
  const auto now = static_cast<std::uint64_t>(::time(nullptr));
  std::uint64_t second = second_.load(std::memory_order_relaxed);
  if (second != now && second_.compare_exchange_strong(second, now)) {
    count_.store(0, std::memory_order_relaxed);
  }
  if (count_.fetch_add(1, std::memory_order_relaxed) < per_second_) {
    suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
    return true;
  }
  suppressed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void write_limited(RateLimit& limit, Level level, std::string_view message) {
  if (!enabled(level))
    return;
  std::uint64_t suppressed = 0;
  if (!limit.allow(suppressed))
    return;
  if (suppressed == 0) {
    write(level, message);
  } else {
    write(level,
          std::string(message) + " (" + std::to_string(suppressed) + " similar lines suppressed)");
  }
}

}  // namespace turn::log
