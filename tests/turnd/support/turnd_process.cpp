#include "support/turnd_process.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/test_server.hpp"

#ifndef TURND_BINARY
#error "TURND_BINARY must name the turnd executable"
#endif

namespace turntest {
namespace {

int bound_socket(int type, std::uint16_t port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::uint16_t free_udp_tcp_port() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::uint16_t port = free_udp_port();
    const int tcp = bound_socket(SOCK_STREAM, port);
    if (tcp >= 0) {
      ::close(tcp);
      return port;
    }
  }
  throw std::runtime_error("no free UDP+TCP port on 127.0.0.1");
}

TurndProcess::TurndProcess(const TurndProcessOptions& options) {
  char dir[] = "/tmp/turnd-proc-XXXXXX";
  if (::mkdtemp(dir) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  dir_ = dir;
  log_path_ = dir_ + "/turnd.log";
  port_ = free_udp_tcp_port();
  std::vector<std::string> args = {TURND_BINARY,
                                   "-n",
                                   "--listening-ip=127.0.0.1",
                                   "--listening-port=" + std::to_string(port_),
                                   "--relay-threads=1",
                                   std::string("--realm=") + kRealm,
                                   "--user=alice:alice-pass",
                                   "--user=bob:bob-pass",
                                   "--min-port=61000",
                                   "--max-port=62999",
                                   "--log-file=" + log_path_,
                                   "--simple-log",
                                   "--no-stdout-log"};
  args.insert(args.end(), options.args.begin(), options.args.end());
  // Built before fork(): the child of a threaded process may only make system calls.
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const rlimit files{options.open_files, options.open_files};
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // The child dies with the test process, whatever happens to it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    if (options.open_files != 0)
      ::setrlimit(RLIMIT_NOFILE, &files);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (log().find("worker(s)") != std::string::npos)
      return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("turnd exited at startup: " + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string text = log();
  stop();
  throw std::runtime_error("turnd did not start in time: " + text);
}

TurndProcess::~TurndProcess() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

stun::SocketAddress TurndProcess::address() const {
  return stun::SocketAddress::v4({127, 0, 0, 1}, port_);
}

void TurndProcess::pause() {
  ::kill(pid_, SIGSTOP);
  // Stopped once /proc says so ("T"), so nothing sent from here on is read before resume().
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string pid, comm, state;
    stat >> pid >> comm >> state;
    if (state == "T")
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("turnd did not stop");
}

void TurndProcess::resume() {
  ::kill(pid_, SIGCONT);
}

std::uint64_t TurndProcess::cpu_ticks() const {
  std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command (which may hold spaces) start after the last ')'.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    if (i == 15)
      stime = std::stoull(field);
  }
  return utime + stime;
}

std::size_t TurndProcess::open_fds() const {
  std::size_t n = 0;
  const std::string path = "/proc/" + std::to_string(pid_) + "/fd";
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(path))
    ++n;
  return n;
}

std::string TurndProcess::log() const {
  std::ifstream in(log_path_);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int TurndProcess::stop() {
  if (pid_ <= 0)
    return 0;
  ::kill(pid_, SIGCONT);  // a stopped process cannot handle SIGTERM
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 250; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

}  // namespace turntest
