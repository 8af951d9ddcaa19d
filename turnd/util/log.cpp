#include "util/log.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace turn::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_fd{STDOUT_FILENO};
std::atomic<bool> g_also_stdout{false};

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

}  // namespace

bool open(const std::string& path, bool also_stdout) {
  int fd = STDOUT_FILENO;
  if (!path.empty() && path != "stdout" && path != "-") {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
      return false;
  }
  const int old = g_fd.exchange(fd);
  g_also_stdout = also_stdout && fd != STDOUT_FILENO;
  if (old != STDOUT_FILENO)
    ::close(old);
  return true;
}

void set_level(Level level) {
  g_level = static_cast<int>(level);
}

bool enabled(Level level) {
  return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
  if (!enabled(level))
    return;
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  char prefix[64];
  const int n = std::snprintf(prefix, sizeof(prefix),
                              "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: ", t.tm_year + 1900,
                              t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                              static_cast<long>(tv.tv_usec / 1000), level_name(level));
  std::string line;
  line.reserve(static_cast<std::size_t>(n) + message.size() + 1);
  line.append(prefix, static_cast<std::size_t>(n)).append(message).push_back('\n');
  const int fd = g_fd.load();
  [[maybe_unused]] auto w = ::write(fd, line.data(), line.size());
  if (g_also_stdout) {
    [[maybe_unused]] auto w2 = ::write(STDOUT_FILENO, line.data(), line.size());
  }
}

}  // namespace turn::log
