// Helpers for the user-db tests: scratch directories, files, coturn's own turnadmin.
#pragma once

#include <fcntl.h>
#include <glob.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace udbtest {

/// A fresh directory under /tmp, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/turnd-userdb-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline const char* kCoturnAdmin = "/usr/bin/turnadmin";

inline bool have_coturn() {
  return ::access(kCoturnAdmin, X_OK) == 0;
}

/// Runs coturn's turnadmin with `args` (output discarded) and deletes the log file it leaves
/// in /var/log. Returns its exit status.
inline int coturn_admin(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::string name = "turnadmin";
  argv.push_back(name.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, kCoturnAdmin, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string pattern = "/var/log/turn_" + std::to_string(pid) + "_*.log";
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i)
      ::unlink(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace udbtest
