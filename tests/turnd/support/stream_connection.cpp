#include "support/stream_connection.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "stun/channel_data.hpp"
#include "stun/framing.hpp"

namespace turntest {

namespace {

using Clock = std::chrono::steady_clock;

int ms_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<Millis::rep>(left, 0, INT_MAX));
}

/// poll() for `events` until `deadline`; true when the fd is ready (or has an error to report).
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, ms_until(deadline));
    if (r < 0 && errno == EINTR)
      continue;
    return r > 0;
  }
}

std::string errno_text(int err) {
  return std::strerror(err);
}

/// Drains OpenSSL's error queue into one line.
std::string ssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error queued" : out;
}

/// A non-blocking socket of `type` connected to `to` within the deadline. Throws on failure.
int connect_socket(const stun::SocketAddress& to, int type, Clock::time_point deadline) {
  const int fd = ::socket(to.is_v4() ? AF_INET : AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket: " + errno_text(errno));
  sockaddr_storage ss;
  const socklen_t len = to.to_sockaddr(ss);
  int err = 0;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      if (!wait_fd(fd, POLLOUT, deadline)) {
        err = ETIMEDOUT;
      } else {
        socklen_t elen = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      }
    }
  }
  if (err != 0) {
    ::close(fd);
    throw std::runtime_error("connect " + to.to_string() + ": " + errno_text(err));
  }
  if (type == SOCK_STREAM) {
    // Small frames go out at once, so chunked writes in tests reach the peer as written.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

/// send() all of `data` (MSG_NOSIGNAL: a closed peer is an error, not a SIGPIPE).
bool send_all(int fd, stun::Bytes data, Clock::time_point deadline, std::string& error) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_fd(fd, POLLOUT, deadline)) {
        error = "write timed out (the peer is not reading)";
        return false;
      }
      continue;
    }
    error = "send: " + errno_text(errno);
    return false;
  }
  return true;
}

/// A client context for TLS or DTLS per `o`. Throws naming the file or setting that failed.
SSL_CTX* make_client_ctx(bool dtls, const TlsOptions& o) {
  SSL_CTX* ctx = SSL_CTX_new(dtls ? DTLS_client_method() : TLS_client_method());
  if (!ctx)
    throw std::runtime_error("SSL_CTX_new: " + ssl_errors());
  auto fail = [&](const std::string& what) {
    const std::string text = what + ": " + ssl_errors();
    SSL_CTX_free(ctx);
    throw std::runtime_error(text);
  };
  // RFC 8656 §3.1 asks for DTLS 1.2 at least; turnd speaks exactly DTLS 1.2.
  const int min = o.min_version ? o.min_version : (dtls ? DTLS1_2_VERSION : 0);
  const int max = o.max_version ? o.max_version : (dtls ? DTLS1_2_VERSION : 0);
  if (!SSL_CTX_set_min_proto_version(ctx, min) || !SSL_CTX_set_max_proto_version(ctx, max))
    fail("protocol version bounds");
  if (!o.cipher_list.empty() && !SSL_CTX_set_cipher_list(ctx, o.cipher_list.c_str()))
    fail("cipher list " + o.cipher_list);
  if (!o.ca_file.empty()) {
    if (!SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr))
      fail("CA file " + o.ca_file);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!o.cert_file.empty()) {
    if (!SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()))
      fail("client certificate " + o.cert_file);
    const std::string& key = o.key_file.empty() ? o.cert_file : o.key_file;
    if (!SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM))
      fail("client key " + key);
    if (!SSL_CTX_check_private_key(ctx))
      fail("client key does not match the certificate");
  }
  return ctx;
}

/// SNI and, when verifying, the expected host name.
void apply_hostname(SSL* ssl, const TlsOptions& o) {
  if (o.hostname.empty())
    return;
  SSL_set_tlsext_host_name(ssl, o.hostname.c_str());
  if (!o.ca_file.empty())
    SSL_set1_host(ssl, o.hostname.c_str());
}

/// Why a handshake failed, with the certificate verdict when that is the cause.
std::string handshake_error(SSL* ssl, const char* what) {
  std::string text = std::string(what) + " handshake failed: " + ssl_errors();
  const long verdict = SSL_get_verify_result(ssl);
  if (verdict != X509_V_OK)
    text += " (certificate: " + std::string(X509_verify_cert_error_string(verdict)) + ")";
  return text;
}

}  // namespace

const char* transport_name(Transport t) {
  switch (t) {
    case Transport::kUdp:
      return "UDP";
    case Transport::kTcp:
      return "TCP";
    case Transport::kTls:
      return "TLS";
    case Transport::kDtls:
      return "DTLS";
  }
  return "?";
}

std::vector<std::uint8_t> channel_data_frame(std::uint16_t channel, stun::Bytes payload, bool pad) {
  if (payload.size() > 0xFFFF)
    throw std::invalid_argument("ChannelData payload longer than 65535 bytes");
  std::vector<std::uint8_t> out(stun::channel_data_size(payload.size(), pad), 0);
  stun::write_channel_data_header(out.data(), channel, static_cast<std::uint16_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), out.begin() + stun::kChannelDataHeaderSize);
  return out;
}

std::unique_ptr<Connection> connect_to(const stun::SocketAddress& server, Transport t,
                                       const TlsOptions& tls, Millis timeout) {
  if (is_stream(t))
    return StreamConnection::connect(server, t, tls, timeout);
  if (t == Transport::kDtls)
    return DtlsConnection::connect(server, tls, timeout);
  throw std::invalid_argument("connect_to: UDP is not a connection");
}

// ---------------------------------------------------------------------------------------------
// Connection

Connection::~Connection() {
  if (ssl_)
    SSL_free(ssl_);
  if (ctx_)
    SSL_CTX_free(ctx_);
  if (fd_ >= 0)
    ::close(fd_);
}

void Connection::mark_closed(std::string reason) {
  if (closed_)
    return;
  closed_ = true;
  close_reason_ = std::move(reason);
}

void Connection::learn_addresses() {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    local_ = stun::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss)).value_or(local_);
  ss = {};
  len = sizeof(ss);
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    peer_ = stun::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss)).value_or(peer_);
}

std::string Connection::tls_version() const {
  return ssl_ ? SSL_get_version(ssl_) : "";
}

int Connection::tls_version_number() const {
  return ssl_ ? SSL_version(ssl_) : 0;
}

std::string Connection::tls_cipher() const {
  return ssl_ ? SSL_get_cipher_name(ssl_) : "";
}

int Connection::peer_chain_length() const {
  if (!ssl_)
    return 0;
  // On the client side this chain includes the server's leaf certificate.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  return chain ? sk_X509_num(chain) : 0;
}

// ---------------------------------------------------------------------------------------------
// StreamConnection

std::unique_ptr<StreamConnection> StreamConnection::connect(const stun::SocketAddress& server,
                                                            Transport t, const TlsOptions& tls,
                                                            Millis timeout) {
  if (!is_stream(t))
    throw std::invalid_argument("StreamConnection is TCP or TLS, not " +
                                std::string(transport_name(t)));
  const auto deadline = Clock::now() + timeout;
  std::unique_ptr<StreamConnection> c(new StreamConnection(t));
  c->fd_ = connect_socket(server, SOCK_STREAM, deadline);
  c->learn_addresses();
  if (t == Transport::kTls)
    c->start_tls(tls, deadline);
  return c;
}

std::unique_ptr<StreamConnection> StreamConnection::adopt(int fd) {
  std::unique_ptr<StreamConnection> c(new StreamConnection(Transport::kTcp));
  c->fd_ = fd;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  c->learn_addresses();
  return c;
}

StreamConnection::~StreamConnection() {
  // A polite close_notify, so the server sees an orderly TLS close rather than a truncation;
  // best effort, without waiting.
  if (ssl_ && handshake_done_ && !closed_ && !eof_) {
    SSL_shutdown(ssl_);
    std::string ignored;
    flush_tls(Clock::now(), ignored);
  }
}

void StreamConnection::start_tls(const TlsOptions& tls, Clock::time_point deadline) {
  ctx_ = make_client_ctx(/*dtls=*/false, tls);
  ssl_ = SSL_new(ctx_);
  if (!ssl_)
    throw std::runtime_error("SSL_new: " + ssl_errors());
  apply_hostname(ssl_, tls);
  // Memory BIOs: OpenSSL never touches the socket, so all I/O goes through send_all (no
  // SIGPIPE) and the poll() deadlines below.
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio_, -1);  // empty means "retry", until the socket says EOF
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_connect_state(ssl_);
  for (;;) {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
    // Flush before deciding: a failing handshake still sends its alert.
    std::string error;
    if (!flush_tls(deadline, error))
      throw std::runtime_error("TLS handshake with " + peer_.to_string() + ": " + error);
    if (r == 1) {
      handshake_done_ = true;
      return;
    }
    if (err == SSL_ERROR_WANT_READ && !eof_) {
      std::vector<std::uint8_t> raw;
      if (recv_raw(deadline, raw)) {
        BIO_write(rbio_, raw.data(), static_cast<int>(raw.size()));
      } else if (eof_) {
        BIO_set_mem_eof_return(rbio_, 0);
      } else {
        throw std::runtime_error("TLS handshake with " + peer_.to_string() + " timed out");
      }
      continue;
    }
    if (eof_)
      throw std::runtime_error("TLS handshake with " + peer_.to_string() +
                               ": the server closed the connection (" + close_reason_ + "); " +
                               handshake_error(ssl_, "TLS"));
    throw std::runtime_error(handshake_error(ssl_, "TLS"));
  }
}

bool StreamConnection::flush_tls(Clock::time_point deadline, std::string& error) {
  std::uint8_t buf[16384];
  while (BIO_ctrl_pending(wbio_) > 0) {
    const int n = BIO_read(wbio_, buf, sizeof(buf));
    if (n <= 0)
      break;
    if (!send_all(fd_, stun::Bytes(buf, static_cast<std::size_t>(n)), deadline, error))
      return false;
  }
  return true;
}

bool StreamConnection::recv_raw(Clock::time_point deadline, std::vector<std::uint8_t>& out) {
  if (eof_)
    return false;
  for (;;) {
    if (!wait_fd(fd_, POLLIN, deadline))
      return false;
    std::uint8_t buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      out.insert(out.end(), buf, buf + n);
      return true;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
      continue;
    eof_ = true;
    if (!ssl_)
      mark_closed(n == 0 ? "EOF" : errno_text(errno));
    else if (close_reason_.empty())
      close_reason_ = n == 0 ? "EOF" : errno_text(errno);
    return false;
  }
}

bool StreamConnection::pump(Clock::time_point deadline) {
  if (closed_)
    return false;
  if (!ssl_)
    return recv_raw(deadline, in_);
  for (;;) {
    ERR_clear_error();
    std::uint8_t buf[16384];
    const int n = SSL_read(ssl_, buf, sizeof(buf));
    const int err = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
    // TLS 1.3 may answer post-handshake messages (KeyUpdate); a failure shows on the next read.
    std::string ignored;
    flush_tls(deadline, ignored);
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      return true;
    }
    if (err == SSL_ERROR_WANT_READ && !eof_) {
      std::vector<std::uint8_t> raw;
      if (recv_raw(deadline, raw))
        BIO_write(rbio_, raw.data(), static_cast<int>(raw.size()));
      else if (eof_)
        BIO_set_mem_eof_return(rbio_, 0);  // let the next SSL_read see the end of the stream
      else
        return false;  // timeout
      continue;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      mark_closed("close_notify");
    } else {
      const std::string socket_reason = close_reason_;
      close_reason_.clear();
      mark_closed("TLS: " + ssl_errors() +
                  (socket_reason.empty() ? "" : " (" + socket_reason + ")"));
    }
    return false;
  }
}

void StreamConnection::write(stun::Bytes bytes) {
  // No check of closed_: EOF only ends the peer's direction (TCP half-close, RFC 9293 §3.6), and
  // when the connection is gone for good the kernel or OpenSSL says so below.
  if (bytes.empty())
    return;
  const auto deadline = Clock::now() + kWriteTimeout;
  std::string error;
  if (!ssl_) {
    if (!send_all(fd_, bytes, deadline, error))
      throw std::runtime_error("write to " + peer_.to_string() + ": " + error);
    return;
  }
  ERR_clear_error();
  // Memory BIOs always take the whole write, so SSL_write does not return short here.
  if (SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) <= 0)
    throw std::runtime_error("SSL_write: " + ssl_errors());
  if (!flush_tls(deadline, error))
    throw std::runtime_error("write to " + peer_.to_string() + ": " + error);
}

std::vector<std::uint8_t> StreamConnection::read_some(Millis timeout) {
  if (in_.empty())
    pump(Clock::now() + timeout);
  return std::exchange(in_, {});
}

std::optional<std::vector<std::uint8_t>> StreamConnection::read_exactly(std::size_t n,
                                                                        Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (in_.size() < n) {
    if (!pump(deadline))
      return std::nullopt;
  }
  std::vector<std::uint8_t> out(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n));
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

std::optional<std::vector<std::uint8_t>> StreamConnection::next_frame(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto frame = stun::next_frame(in_);
    if (frame) {
      const auto size = static_cast<std::ptrdiff_t>(frame->size);
      std::vector<std::uint8_t> out(in_.begin(), in_.begin() + size);
      in_.erase(in_.begin(), in_.begin() + size);
      return out;
    }
    if (frame.error() != stun::ParseError::kIncomplete) {
      char head[40];
      std::snprintf(head, sizeof(head), "%02x %02x %02x %02x", in_.size() > 0 ? in_[0] : 0,
                    in_.size() > 1 ? in_[1] : 0, in_.size() > 2 ? in_[2] : 0,
                    in_.size() > 3 ? in_[3] : 0);
      throw std::runtime_error("stream from " + peer_.to_string() + " does not start a frame (" +
                               std::string(stun::to_string(frame.error())) + "): " + head);
    }
    if (!pump(deadline))
      return std::nullopt;
  }
}

bool StreamConnection::closed_by_peer(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!closed_) {
    if (!pump(deadline) && !closed_)
      return false;
  }
  return true;
}

void StreamConnection::close_write() {
  if (ssl_ && handshake_done_ && !closed_) {
    SSL_shutdown(ssl_);
    std::string ignored;
    flush_tls(Clock::now() + kWriteTimeout, ignored);
  }
  ::shutdown(fd_, SHUT_WR);
}

// ---------------------------------------------------------------------------------------------
// DtlsConnection

namespace {

/// Waits for the socket until `deadline`, waking early when the DTLS retransmission timer
/// fires (then serves it: RFC 6347 §4.2.4). True when the socket is readable.
bool wait_dtls(SSL* ssl, int fd, Clock::time_point deadline, std::string& error) {
  for (;;) {
    auto until = deadline;
    timeval tv{};
    const bool timer = DTLSv1_get_timeout(ssl, &tv) == 1;
    if (timer) {
      const auto fire =
          Clock::now() + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
      until = std::min(until, fire);
    }
    if (wait_fd(fd, POLLIN, until))
      return true;
    if (Clock::now() >= deadline)
      return false;
    if (timer && DTLSv1_handle_timeout(ssl) < 0) {
      error = "DTLS retransmission limit: " + ssl_errors();
      return false;
    }
  }
}

}  // namespace

std::unique_ptr<DtlsConnection> DtlsConnection::connect(const stun::SocketAddress& server,
                                                        const TlsOptions& tls, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_ptr<DtlsConnection> c(new DtlsConnection());
  // A connected socket: only the server's datagrams reach it, and ICMP errors surface.
  c->fd_ = connect_socket(server, SOCK_DGRAM, deadline);
  c->learn_addresses();
  c->ctx_ = make_client_ctx(/*dtls=*/true, tls);
  c->ssl_ = SSL_new(c->ctx_);
  if (!c->ssl_)
    throw std::runtime_error("SSL_new: " + ssl_errors());
  apply_hostname(c->ssl_, tls);
  BIO* bio = BIO_new_dgram(c->fd_, BIO_NOCLOSE);
  if (!bio)
    throw std::runtime_error("BIO_new_dgram: " + ssl_errors());
  sockaddr_storage ss;
  server.to_sockaddr(ss);
  BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &ss);
  SSL_set_bio(c->ssl_, bio, bio);
  SSL_set_connect_state(c->ssl_);
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_do_handshake(c->ssl_);
    const int saved = errno;
    if (r == 1) {
      c->handshake_done_ = true;
      return c;
    }
    const int err = SSL_get_error(c->ssl_, r);
    if (err == SSL_ERROR_WANT_READ) {
      std::string error;
      if (!wait_dtls(c->ssl_, c->fd_, deadline, error))
        throw std::runtime_error("DTLS handshake with " + server.to_string() + ": " +
                                 (error.empty() ? "timed out" : error));
      continue;
    }
    std::string text = handshake_error(c->ssl_, "DTLS");
    if (err == SSL_ERROR_SYSCALL && saved != 0)
      text += " (" + errno_text(saved) + ")";
    throw std::runtime_error(text + " with " + server.to_string());
  }
}

DtlsConnection::~DtlsConnection() {
  // close_notify tells the server to drop the association now rather than on its idle timer.
  if (handshake_done_ && !closed_)
    SSL_shutdown(ssl_);
}

void DtlsConnection::write(stun::Bytes bytes) {
  ERR_clear_error();
  errno = 0;
  const int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
  const int saved = errno;
  if (n != static_cast<int>(bytes.size())) {
    throw std::runtime_error("DTLS write to " + peer_.to_string() + ": " + ssl_errors() + " (" +
                             errno_text(saved) + ")");
  }
}

bool DtlsConnection::read_record(Clock::time_point deadline) {
  if (closed_)
    return false;
  for (;;) {
    ERR_clear_error();
    std::vector<std::uint8_t> buf(65536);
    errno = 0;
    // One SSL_read returns at most one record's plaintext on DTLS.
    const int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    const int saved = errno;
    if (n > 0) {
      buf.resize(static_cast<std::size_t>(n));
      pending_.push_back(std::move(buf));
      return true;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) {
      std::string error;
      if (wait_dtls(ssl_, fd_, deadline, error))
        continue;
      if (!error.empty())
        mark_closed(error);
      return false;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      mark_closed("close_notify");
    } else {
      // E.g. ECONNREFUSED: the server's port is gone (ICMP on the connected socket).
      mark_closed("DTLS: " + ssl_errors() + (saved ? " (" + errno_text(saved) + ")" : ""));
    }
    return false;
  }
}

std::optional<std::vector<std::uint8_t>> DtlsConnection::receive(Millis timeout) {
  if (pending_.empty() && !read_record(Clock::now() + timeout))
    return std::nullopt;
  auto out = std::move(pending_.front());
  pending_.pop_front();
  return out;
}

bool DtlsConnection::closed_by_peer(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!closed_) {
    if (!read_record(deadline) && !closed_)
      return false;
  }
  return true;
}

void DtlsConnection::close_write() {
  if (handshake_done_ && !closed_)
    SSL_shutdown(ssl_);
}

}  // namespace turntest
