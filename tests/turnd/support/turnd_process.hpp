// The turnd binary as a child process, for tests that need what an in-process server cannot
// give: freezing the whole server (SIGSTOP) so datagrams pile up into one receive batch, or a
// small open-file limit. Started with its own log file, stopped with SIGTERM (SIGKILL after a
// bound wait) by the destructor; only this child is ever signalled, by its PID.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stun/address.hpp"
#include "support/timeouts.hpp"

namespace turntest {

struct TurndProcessOptions {
  /// Command-line options after the ones every instance gets (-n, 127.0.0.1, one worker, the
  /// test realm and users alice/bob, log file): e.g. {"--dtls", "--cert", path}.
  std::vector<std::string> args;
  /// RLIMIT_NOFILE (soft and hard) for the child; 0 leaves it as it is.
  unsigned open_files = 0;
};

class TurndProcess {
 public:
  /// Starts turnd on 127.0.0.1 with a free port (UDP and TCP) and waits until it listens;
  /// throws std::runtime_error (with the log) when it does not within a few seconds.
  explicit TurndProcess(const TurndProcessOptions& options = {});
  ~TurndProcess();
  TurndProcess(const TurndProcess&) = delete;
  TurndProcess& operator=(const TurndProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// 127.0.0.1 and the listening port.
  stun::SocketAddress address() const;
  std::uint16_t port() const { return port_; }
  /// SIGSTOP / SIGCONT: the whole server stops and resumes (datagrams wait in its sockets).
  void pause();
  void resume();
  /// CPU time (user + system) the process has used, in clock ticks.
  std::uint64_t cpu_ticks() const;
  /// Open file descriptors of the process.
  std::size_t open_fds() const;
  std::string log() const;
  /// SIGTERM and waits; returns the exit status (or -1 when it had to be killed).
  int stop();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string dir_;
  std::string log_path_;
};

/// A port free for both UDP and TCP on 127.0.0.1 right now.
std::uint16_t free_udp_tcp_port();

}  // namespace turntest
