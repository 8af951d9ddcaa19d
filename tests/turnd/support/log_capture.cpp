#include "support/log_capture.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace turntest {

LogCapture::LogCapture(turn::log::Level level) {
  char name[] = "/tmp/turnd-log-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0)
    throw std::runtime_error("mkstemp failed");
  ::close(fd);
  path_ = name;
  turn::log::Options o;
  o.file = path_;
  o.simple = true;
  o.also_stdout = false;
  o.level = level;
  if (!turn::log::configure(o))
    throw std::runtime_error("cannot log to " + path_);
}

LogCapture::~LogCapture() {
  turn::log::Options o;
  o.level = turn::log::Level::kError;
  turn::log::configure(o);
  std::remove(path_.c_str());
}

std::vector<std::string> LogCapture::lines() const {
  std::vector<std::string> out;
  std::ifstream in(path_);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

std::size_t LogCapture::count(std::string_view needle) const {
  std::size_t n = 0;
  for (const auto& l : lines()) {
    if (l.find(needle) != std::string::npos)
      ++n;
  }
  return n;
}

}  // namespace turntest
