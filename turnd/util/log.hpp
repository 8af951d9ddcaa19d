// Logging with coturn's destinations: stdout (default, for containers), a file, or syslog.
// Each line is one write(2) (or one syslog(3) call), so lines from worker threads never
// interleave. Check enabled() before building an expensive message; use RateLimit for lines a
// client can trigger at will.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace turn::log {

enum class Level : int { kError = 0, kWarning = 1, kInfo = 2, kVerbose = 3, kDebug = 4 };

struct Options {
  std::string file;              ///< "" / "stdout" / "-": stdout; "syslog": syslog
  bool also_stdout = true;       ///< with a file: copy lines to stdout (off: no-stdout-log)
  bool syslog = false;           ///< coturn `syslog`: syslog instead of any file
  std::string syslog_facility;   ///< "", "local0".."local7", "daemon", "user", ...
  bool simple = false;           ///< coturn `simple-log`: the file name as given, no rollover
  std::string timestamp_format;  ///< strftime format; "" = ISO 8601 UTC with milliseconds
  bool json = false;             ///< log-format=json: one JSON object a line (util/log_json.hpp)
  Level level = Level::kInfo;
};

/// Applies `options` (and reopens the file: SIGHUP, logrotate). Returns false, keeping the old
/// destination, when the file cannot be opened.
bool configure(const Options& options);
/// The file actually written (with PID and date unless simple), or "" for stdout/syslog.
std::string current_file();
void set_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message);
/// Parses coturn's log-min-level values: error, warning, info, verbose, debug.
bool parse_level(std::string_view text, Level& out);

/// Text from the network (USERNAME, REALM, ...) made safe for a log line: control characters,
/// spaces, quotes, backslashes and non-ASCII bytes become \xNN, so a client cannot forge lines
/// (and with them fail2ban bans of other addresses), break the quoting, or add a key=value word
/// of its own to a line (`user=bob reason=...`: a JSON log field). At most 128 bytes are kept.
std::string sanitize(std::string_view untrusted);

/// At most `per_second` lines a second from one call site; the rest are counted and reported
/// in the next line allowed through ("(N similar lines suppressed)"). Lock-free, any thread.
class RateLimit {
 public:
  explicit constexpr RateLimit(std::uint32_t per_second) : per_second_(per_second) {}
  /// True when this line may be written; `suppressed` gets the count skipped before it.
  bool allow(std::uint64_t& suppressed);

 private:
  std::uint32_t per_second_;
  std::atomic<std::uint64_t> second_{0};
  std::atomic<std::uint32_t> count_{0};
  std::atomic<std::uint64_t> suppressed_{0};
};

/// write() through a RateLimit.
void write_limited(RateLimit& limit, Level level, std::string_view message);

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
