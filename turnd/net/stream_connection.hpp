// One client's TCP or TLS connection as buffers (RFC 8656 §3.1): what was read and not yet cut
// into frames, and what is waiting to be written. No event loop here; the worker calls read()
// when the socket is readable and write() at the end of each loop iteration or when writable.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stun/bytes.hpp"

namespace turn {

class StreamConnection {
 public:
  /// Bytes waiting to be written above which further messages are dropped: a client that stops
  /// reading must not make the server buffer without bound (the stalled-reader rule).
  static constexpr std::size_t kMaxOutputBytes = 512 * 1024;
  /// Input kept at most: one partial frame of the largest size plus one read.
  static constexpr std::size_t kMaxInputBytes = 160 * 1024;

  explicit StreamConnection(int fd) : fd_(fd) {}
  ~StreamConnection();
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;
  /// Takes the socket, TLS state and buffers over (an RFC 6062 data connection handed to the
  /// worker that owns its peer); `other` is left closed-over and owns nothing.
  StreamConnection(StreamConnection&& other) noexcept;
  StreamConnection& operator=(StreamConnection&&) = delete;

  int fd() const { return fd_; }

  /// The first byte the client sent, without consuming it: -1 when nothing arrived yet, -2 when
  /// the connection closed first. A TLS ClientHello starts with 0x16 (RFC 8446 §5.1).
  int peek_first_byte() const;
  /// Becomes the server side of a TLS connection on this socket; the handshake runs inside
  /// read() and write(). The SSL holds its own reference to `ctx`, so a certificate reload
  /// does not touch connections already open.
  bool start_tls(SSL_CTX* ctx);
  bool is_tls() const { return ssl_ != nullptr; }
  /// True once the TLS handshake finished (always for plain TCP).
  bool established() const;
  /// The TLS version name ("TLSv1.3"), or "" for plain TCP.
  const char* tls_version() const;

  enum class ReadStatus : std::uint8_t { kData, kNothing, kClosed };
  /// Reads at most `budget` bytes into the input buffer. kClosed on end of stream, a socket
  /// error or a TLS failure (then `tls_failed()` says which). May move the input buffer: frames
  /// taken from unread() before are invalid afterwards.
  ReadStatus read(std::size_t budget);
  bool tls_failed() const { return tls_failed_; }

  /// The bytes read and not yet consumed.
  stun::MutableBytes unread() { return {in_.data() + in_begin_, in_end_ - in_begin_}; }
  void consume(std::size_t n) { in_begin_ += n; }

  /// Appends a message to the output; ChannelData gets its stream padding (RFC 8656 §12.5).
  /// False, and nothing queued, when the output is over kMaxOutputBytes.
  bool queue(stun::Bytes message, bool pad_to_4);
  enum class WriteStatus : std::uint8_t { kDone, kPending, kFailed };
  /// Writes what the socket takes. kPending: wait for writability and call again.
  WriteStatus write();
  bool has_output() const { return out_begin_ != out_.size(); }
  std::size_t buffered_output() const { return out_.size() - out_begin_; }
  /// TLS needs the socket writable to make progress on a read (handshake flight pending).
  bool read_wants_write() const { return read_wants_write_; }

 private:
  /// Room for at least `want` more bytes at the end of the input, within kMaxInputBytes.
  std::size_t make_room(std::size_t want);
  ReadStatus read_plain(std::size_t budget);
  ReadStatus read_tls(std::size_t budget);

  int fd_;
  SSL* ssl_ = nullptr;
  bool tls_failed_ = false;
  bool read_wants_write_ = false;
  std::vector<std::uint8_t> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::vector<std::uint8_t> out_;
  std::size_t out_begin_ = 0;
};

}  // namespace turn
