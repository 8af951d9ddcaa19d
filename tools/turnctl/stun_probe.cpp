#include "stun_probe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include "deadline_socket.hpp"
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/integrity.hpp"
#include "stun/message_view.hpp"

namespace turnctl {
namespace {

/// Checks one received datagram or framed message; returns "" when it is the answer.
std::string check_answer(stun::Bytes bytes, const stun::TransactionId& tid, ProbeResult& out) {
  auto msg = stun::MessageView::parse(bytes);
  if (!msg)
    return "answer is not STUN (" + std::string(stun::to_string(msg.error())) + ")";
  if (msg->transaction_id() != tid)
    return "";  // not ours: keep waiting
  if (msg->type() != stun::pack_type(stun::Method::kBinding, stun::Class::kSuccess))
    return "answer is not a Binding success response";
  if (!msg->fingerprint_offset() || !stun::verify_fingerprint(*msg))
    return "answer's FINGERPRINT does not match";
  auto mapped = msg->get(stun::attr::kXorMappedAddress);
  if (!mapped)
    return "answer has no XOR-MAPPED-ADDRESS";
  out.mapped = *mapped;
  out.ok = true;
  return "";
}

}  // namespace

ProbeResult probe_binding(const stun::SocketAddress& server, ProbeTransport transport,
                          std::chrono::milliseconds timeout) {
  ProbeResult result;
  stun::TransactionId tid{};
  std::random_device rd;
  for (auto& b : tid)
    b = static_cast<std::uint8_t>(rd());
  std::array<std::uint8_t, 64> request_buf{};
  stun::MessageBuilder builder(request_buf,
                               stun::pack_type(stun::Method::kBinding, stun::Class::kRequest), tid);
  builder.add_fingerprint();
  const auto request = builder.finish();
  if (!request) {
    result.error = "cannot build the request";
    return result;
  }

  const bool udp = transport == ProbeTransport::kUdp;
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  const turn::UniqueFd fd =
      connect_before(server, udp ? SOCK_DGRAM : SOCK_STREAM, deadline, result.error);
  if (!fd.valid())
    return result;

  // UDP: send, and again each quarter of the timeout. TCP: send once, then read one framed
  // message (RFC 8489 §6.2.2: the 20-byte header carries the length).
  const auto resend_every = timeout / 4;
  auto next_send = start;
  std::array<std::uint8_t, 1500> answer{};
  std::size_t have = 0;
  for (;;) {
    if (udp && Clock::now() >= next_send) {
      if (::send(fd.get(), request->data(), request->size(), 0) < 0 && errno != ECONNREFUSED) {
        result.error = system_error("send");
        return result;
      }
      next_send += resend_every;
    } else if (!udp && next_send == start) {
      if (::send(fd.get(), request->data(), request->size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request->size())) {
        result.error = system_error("send");
        return result;
      }
      next_send = deadline;
    }
    const int wait =
        udp ? std::min(millis_left(deadline), millis_left(next_send) + 1) : millis_left(deadline);
    pollfd p{fd.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, wait);
    if (ready < 0 && errno != EINTR) {
      result.error = system_error("poll");
      return result;
    }
    if (ready > 0) {
      const ssize_t n = ::recv(fd.get(), answer.data() + have, answer.size() - have, 0);
      if (n < 0 && errno == ECONNREFUSED) {
        result.error = "nothing listens on " + server.to_string() + " (ICMP port unreachable)";
        return result;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        result.error = system_error("recv");
        return result;
      }
      if (n == 0 && !udp) {
        result.error = "the server closed the connection";
        return result;
      }
      std::size_t size = n > 0 ? static_cast<std::size_t>(n) : 0;
      if (!udp) {
        have += size;
        if (have < 20)
          continue;
        size = 20 + ((static_cast<std::size_t>(answer[2]) << 8) | answer[3]);
        if (size > answer.size()) {
          result.error = "answer is too long for a Binding response";
          return result;
        }
        if (have < size)
          continue;
      }
      if (size > 0) {
        const std::string problem = check_answer(stun::Bytes(answer.data(), size), tid, result);
        if (result.ok) {
          result.rtt = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
          return result;
        }
        if (!problem.empty()) {
          result.error = problem;
          return result;
        }
        have = 0;
      }
    }
    if (Clock::now() >= deadline) {
      result.error = "no answer from " + server.to_string() + " within " +
                     std::to_string(timeout.count()) + " ms";
      return result;
    }
  }
}

}  // namespace turnctl
