#include "util/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

void drop_privileges(const std::string& user, const std::string& group, bool keep_net_admin) {
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
    // setuid() from root clears every capability unless asked to keep the permitted set;
    // the set is then cut down to CAP_NET_ADMIN below.
    keep_net_admin = keep_net_admin && ::geteuid() == 0 && uid != 0;
    if (keep_net_admin && ::prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0)
      fail("prctl(PR_SET_KEEPCAPS)");
    if (::setuid(uid) != 0)
      fail("proc-user " + user);
    if (keep_net_admin) {
      ::prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
      __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
      __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
      data[CAP_NET_ADMIN / 32].effective = data[CAP_NET_ADMIN / 32].permitted =
          1u << (CAP_NET_ADMIN % 32);
      if (::syscall(SYS_capset, &header, data) != 0)
        fail("capset(CAP_NET_ADMIN)");
    }
  }
}

}  // namespace turn
