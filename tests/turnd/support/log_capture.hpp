// Captures turnd's log lines in a temporary file for the duration of a test (the log is
// process-wide). Create it after the TestServer: a TestServer turns logging down to errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/log.hpp"

namespace turntest {

class LogCapture {
 public:
  explicit LogCapture(turn::log::Level level = turn::log::Level::kInfo);
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() const;
  /// Lines containing `needle`.
  std::size_t count(std::string_view needle) const;

 private:
  std::string path_;
};

}  // namespace turntest
