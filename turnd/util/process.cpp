#include "util/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace turn {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void daemonize() {
  const pid_t pid = ::fork();
  if (pid < 0)
    fail("fork");
  if (pid > 0)
    std::_Exit(0);
  if (::setsid() < 0)
    fail("setsid");
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO)
      ::close(null);
  }
}

unsigned long raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
      limit = raised;
  }
  return static_cast<unsigned long>(limit.rlim_cur);
}

void write_pidfile(const std::string& path) {
  if (path.empty())
    return;
  std::ofstream out(path, std::ios::trunc);
  if (!out)
    fail("pidfile " + path);
  out << ::getpid() << '\n';
}

void remove_pidfile(const std::string& path) {
  if (!path.empty())
    ::unlink(path.c_str());
}

void drop_privileges(const std::string& user, const std::string& group) {
  if (!group.empty()) {
    gid_t gid = 0;
    if (all_digits(group)) {
      gid = static_cast<gid_t>(std::strtoul(group.c_str(), nullptr, 10));
    } else {
      const struct group* g = ::getgrnam(group.c_str());
      if (g == nullptr)
        throw std::runtime_error("proc-group: no group " + group);
      gid = g->gr_gid;
    }
    if (::setgroups(0, nullptr) != 0 && errno != EPERM)
      fail("setgroups");
    if (::setgid(gid) != 0)
      fail("proc-group " + group);
  }
  if (!user.empty()) {
    uid_t uid = 0;
    if (all_digits(user)) {
      uid = static_cast<uid_t>(std::strtoul(user.c_str(), nullptr, 10));
    } else {
      const struct passwd* p = ::getpwnam(user.c_str());
      if (p == nullptr)
        throw std::runtime_error("proc-user: no user " + user);
      uid = p->pw_uid;
      if (group.empty() && ::setgid(p->pw_gid) != 0)
        fail("proc-user primary group");
    }
    if (::setuid(uid) != 0)
      fail("proc-user " + user);
  }
}

}  // namespace turn
