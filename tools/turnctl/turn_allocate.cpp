#include "turn_allocate.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <optional>
#include <random>

#include "deadline_socket.hpp"
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/integrity.hpp"
#include "stun/long_term_credentials.hpp"
#include "stun/message_view.hpp"

namespace turnctl {
namespace {

using Bytes = std::vector<std::uint8_t>;

stun::TransactionId new_tid() {
  static std::random_device rd;
  stun::TransactionId tid{};
  for (auto& b : tid)
    b = static_cast<std::uint8_t>(rd());
  return tid;
}

/// One server: a connected socket and request/response exchanges on it.
class Session {
 public:
  Session(const stun::SocketAddress& server, ProbeTransport transport,
          std::chrono::milliseconds timeout, std::string& error)
      : udp_(transport == ProbeTransport::kUdp), timeout_(timeout) {
    fd_ = connect_before(server, udp_ ? SOCK_DGRAM : SOCK_STREAM, Clock::now() + timeout, error);
  }
  bool valid() const { return fd_.valid(); }

  /// Sends `request` and returns the answer with its transaction id; UDP retransmits every
  /// quarter of the timeout (RFC 8489 §6.2.1, shortened: this is a probe).
  std::optional<Bytes> exchange(stun::Bytes request, const stun::TransactionId& tid,
                                std::string& error) {
    const auto start = Clock::now();
    const auto deadline = start + timeout_;
    auto next_send = start;
    bool sent = false;
    Bytes in;
    std::array<std::uint8_t, 2048> buf{};
    for (;;) {
      if ((udp_ && Clock::now() >= next_send) || !sent) {
        if (::send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0 &&
            errno != ECONNREFUSED) {
          error = system_error("send");
          return std::nullopt;
        }
        sent = true;
        next_send += timeout_ / 4;
      }
      const int wait = udp_ ? std::min(millis_left(deadline), millis_left(next_send) + 1)
                            : millis_left(deadline);
      pollfd p{fd_.get(), POLLIN, 0};
      const int ready = ::poll(&p, 1, wait);
      if (ready < 0 && errno != EINTR) {
        error = system_error("poll");
        return std::nullopt;
      }
      if (ready > 0) {
        const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
        if (n < 0 && errno == ECONNREFUSED) {
          error = "nothing listens there (ICMP port unreachable)";
          return std::nullopt;
        }
        if (n == 0 && !udp_) {
          error = "the server closed the connection";
          return std::nullopt;
        }
        if (n > 0) {
          if (udp_)
            in.clear();
          in.insert(in.end(), buf.begin(), buf.begin() + n);
          // A stream carries framed messages (RFC 8489 §6.2.2): take whole ones off the front.
          while (in.size() >= 20) {
            const std::size_t size = 20 + ((std::size_t{in[2]} << 8) | in[3]);
            if (in.size() < size)
              break;
            Bytes message(in.begin(), in.begin() + static_cast<long>(size));
            in.erase(in.begin(), in.begin() + static_cast<long>(size));
            auto v = stun::MessageView::parse(message);
            if (v && v->transaction_id() == tid)
              return message;
            if (udp_)
              break;
          }
        }
      }
      if (Clock::now() >= deadline) {
        error = "no answer within " + std::to_string(timeout_.count()) + " ms";
        return std::nullopt;
      }
    }
  }

 private:
  bool udp_;
  std::chrono::milliseconds timeout_;
  turn::UniqueFd fd_;
};

Bytes build(stun::Method method, const stun::LongTermCredentials* creds,
            const stun::TransactionId& tid, std::optional<std::uint32_t> lifetime) {
  Bytes buf(1024);
  stun::MessageBuilder b(buf, stun::pack_type(method, stun::Class::kRequest), tid);
  if (method == stun::Method::kAllocate)
    b.add(stun::attr::kRequestedTransport, stun::kTransportUdp);
  if (lifetime)
    b.add(stun::attr::kLifetime, *lifetime);
  if (creds != nullptr)
    creds->sign(b);
  b.add_fingerprint();
  auto out = b.finish();
  return out ? Bytes(out->begin(), out->end()) : Bytes{};
}

int error_of(const stun::MessageView& v) {
  auto e = v.get(stun::attr::kErrorCode);
  return e ? e->code : 0;
}

enum class Step { kDone, kRedirect, kFailed, kNewSocket };

/// The Allocate exchange with one server: challenge, signed request, answer.
Step allocate_on(Session& s, stun::LongTermCredentials& creds, const AllocateOptions& o,
                 AllocateResult& out, stun::SocketAddress& next) {
  // At most: the 401, one 438 (stale nonce), then the answer.
  bool signed_request = creds.ready();
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto tid = new_tid();
    const Bytes request =
        build(stun::Method::kAllocate, signed_request ? &creds : nullptr, tid, std::nullopt);
    auto answer = s.exchange(request, tid, out.error);
    if (!answer)
      return Step::kFailed;
    auto v = stun::MessageView::parse(*answer);
    if (!v) {
      out.error = "answer is not STUN";
      return Step::kFailed;
    }
    const auto key = stun::long_term_key_md5(creds.user, creds.realm, creds.password);
    if (v->message_class() == stun::Class::kSuccess) {
      if (!stun::verify_integrity_sha1(*v, key)) {
        out.error = "success answer's MESSAGE-INTEGRITY does not verify";
        return Step::kFailed;
      }
      auto relayed = v->get(stun::attr::kXorRelayedAddress);
      if (!relayed) {
        out.error = "success answer has no XOR-RELAYED-ADDRESS";
        return Step::kFailed;
      }
      out.relayed = *relayed;
      if (auto mapped = v->get(stun::attr::kXorMappedAddress))
        out.mapped = *mapped;
      out.lifetime = v->get(stun::attr::kLifetime).value_or(0);
      if (!o.keep) {
        const auto rtid = new_tid();
        std::string ignored;
        s.exchange(build(stun::Method::kRefresh, &creds, rtid, 0u), rtid, ignored);
      }
      return Step::kDone;
    }
    const int code = error_of(*v);
    if ((code == 401 && !signed_request) || code == 438) {
      if (!creds.learn(*v)) {
        out.error = "error " + std::to_string(code) + " without a NONCE";
        return Step::kFailed;
      }
      signed_request = true;
      continue;
    }
    if (code == 437) {
      // RFC 8656 §7.2: this 5-tuple holds an allocation already (an earlier run's, on a port
      // the kernel handed out again): another socket is another 5-tuple.
      out.error = "error 437 Allocation Mismatch";
      return Step::kNewSocket;
    }
    if (code == 300) {
      // RFC 8489 §14.8: an unverified 300 could send us (and our credentials) anywhere.
      if (!signed_request || !stun::verify_integrity_sha1(*v, key)) {
        out.error = "300 Try Alternate without a valid MESSAGE-INTEGRITY";
        return Step::kFailed;
      }
      auto alternate = v->get(stun::attr::kAlternateServer);
      if (!alternate) {
        out.error = "300 Try Alternate without ALTERNATE-SERVER";
        return Step::kFailed;
      }
      auto domain = v->get(stun::attr::kAlternateDomain);
      out.alternate_domain = domain ? std::string(*domain) : std::string();
      next = *alternate;
      return Step::kRedirect;
    }
    auto e = v->get(stun::attr::kErrorCode);
    out.error = "error " + std::to_string(code) + (e ? " " + std::string(e->reason) : "");
    return Step::kFailed;
  }
  out.error = "no usable answer after 3 attempts";
  return Step::kFailed;
}

}  // namespace

AllocateResult allocate_following(const AllocateOptions& o) {
  AllocateResult out;
  stun::LongTermCredentials creds;
  creds.user = o.user;
  creds.password = o.password;
  stun::SocketAddress target = o.server;
  for (int hop = 0; hop <= o.max_redirects; ++hop) {
    out.server = target;
    stun::SocketAddress next;
    Step step = Step::kNewSocket;
    std::unique_ptr<Session> previous;  // held open, so the next socket gets another port
    for (int socket = 0; socket < 2 && step == Step::kNewSocket; ++socket) {
      auto s = std::make_unique<Session>(target, o.transport, o.timeout, out.error);
      if (!s->valid())
        return out;
      // RFC 8489 §10: the same credentials at the new server; its own REALM and NONCE come
      // with its 401, so the learnt ones are dropped.
      creds.nonce.clear();
      step = allocate_on(*s, creds, o, out, next);
      previous = std::move(s);
    }
    switch (step) {
      case Step::kDone:
        out.ok = true;
        return out;
      case Step::kFailed:
      case Step::kNewSocket:
        return out;
      case Step::kRedirect:
        break;
    }
    out.redirects.push_back(target);
    if (next == o.server ||
        std::find(out.redirects.begin(), out.redirects.end(), next) != out.redirects.end()) {
      out.error = "redirect loop: " + next.to_string() + " was already tried";
      return out;
    }
    target = next;
  }
  out.error = "more than " + std::to_string(o.max_redirects) + " redirects";
  return out;
}

}  // namespace turnctl
