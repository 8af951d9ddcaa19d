// Line-oriented logging to stdout or a file. Each line is one write(2), so lines from worker
// threads never interleave. Check enabled() before building an expensive message.
#pragma once

#include <string>
#include <string_view>

namespace turn::log {

enum class Level : int { kError = 0, kWarning = 1, kInfo = 2, kVerbose = 3, kDebug = 4 };

/// Sends lines to `path` ("" / "stdout" / "-" = standard output) from now on.
/// Returns false (and keeps the old destination) when the file cannot be opened.
bool open(const std::string& path, bool also_stdout);
void set_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message);

inline void error(std::string_view m) {
  write(Level::kError, m);
}
inline void warning(std::string_view m) {
  write(Level::kWarning, m);
}
inline void info(std::string_view m) {
  write(Level::kInfo, m);
}

}  // namespace turn::log
