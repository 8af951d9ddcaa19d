#include "userdb/flat_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "userdb/keys.hpp"
#include "util/unique_fd.hpp"

namespace turn::userdb {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

[[noreturn]] void fail_errno(const std::string& what, const std::string& path) {
  throw UserDbError(path + ": " + what + ": " + std::strerror(errno));
}

void write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail_errno("cannot write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string flat_line_user(std::string_view line) {
  const std::string_view s = trim(line);
  if (s.empty() || s[0] == '#')
    return {};
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return {};
  return std::string(trim(s.substr(0, colon)));
}

std::vector<FlatEntry> parse_flat_file(std::string_view text, const std::string& origin) {
  std::vector<FlatEntry> entries;
  int number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    const std::string_view s = trim(raw);
    if (s.empty() || s[0] == '#')
      continue;
    const std::string where = origin + ":" + std::to_string(number);
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0)
      throw UserDbError(where + ": expected name:password or name:0xKEY");
    FlatEntry e;
    e.name = std::string(trim(s.substr(0, colon)));
    e.secret = std::string(trim(s.substr(colon + 1)));
    e.line = number;
    if (e.name.empty() || e.secret.empty())
      throw UserDbError(where + ": expected name:password or name:0xKEY");
    if (e.secret.rfind("0x", 0) == 0 && !parse_hex_key(e.secret)) {
      throw UserDbError(where + ": a 0x key must have 32 hex digits (MD5 of user:realm:password)");
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string read_file(const std::string& path, bool& exists) {
  exists = false;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT)
      return {};
    fail_errno("cannot read", path);
  }
  exists = true;
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail_errno("cannot read", path);
    }
    if (n == 0)
      break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

void edit_flat_file(const std::string& path,
                    const std::function<void(std::vector<std::string>& lines)>& edit) {
  const std::string lock_path = path + ".lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.get() < 0)
    fail_errno("cannot open the lock file", lock_path);
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR)
      fail_errno("cannot lock", lock_path);
  }

  bool exists = false;
  const std::string text = read_file(path, exists);
  std::vector<std::string> lines;
  for (std::string_view rest = text; !rest.empty();) {
    const auto nl = rest.find('\n');
    lines.emplace_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  edit(lines);
  std::string out;
  for (const auto& l : lines) {
    out += l;
    out += '\n';
  }

  mode_t mode = 0600;
  struct stat old {};
  if (exists && ::stat(path.c_str(), &old) == 0)
    mode = old.st_mode & 07777;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (fd.get() < 0)
      fail_errno("cannot create", tmp);
    try {
      ::fchmod(fd.get(), mode);  // umask must not narrow the old file's mode
      if (exists && ::geteuid() == 0 && ::fchown(fd.get(), old.st_uid, old.st_gid) != 0) {
        fail_errno("cannot keep the owner", tmp);
      }
      write_all(fd.get(), out, tmp);
      if (::fsync(fd.get()) != 0)
        fail_errno("cannot sync", tmp);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail_errno("cannot replace", path);
  }
  UniqueFd dir(::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0)
    ::fsync(dir.get());
}

}  // namespace turn::userdb
