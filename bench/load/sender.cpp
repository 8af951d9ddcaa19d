// The sender thread: paced shapes follow the round-robin schedule, the flat shape refills the
// windows the receiver frees. Packets due on one socket at once go out in one sendmmsg (UDP) or
// one send (TCP: the frames are concatenated).
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "clock.hpp"
#include "schedule.hpp"
#include "traffic.hpp"

namespace load {

namespace {

constexpr std::size_t kMaxBatch = 64;  // datagrams per sendmmsg
/// Events taken per round before the sender looks at the clock again; bounds the work between
/// keepalive polls when it has fallen behind.
constexpr std::size_t kMaxEventsPerRound = 4096;
constexpr std::uint64_t kMaxSleepNs = 10 * kNsPerMs;
constexpr std::uint64_t kExpireEveryNs = 10 * kNsPerMs;

class Sender {
 public:
  Sender(TrafficShared& shared, SenderStats& stats)
      : s_(shared),
        stats_(stats),
        next_seq_(shared.clients.size(), 0),
        backlog_flag_(shared.clients.size(), 0) {
    for (const PacketTemplate& t : s_.templates)
      slot_size_ = std::max(slot_size_, t.bytes.size());
    arena_.resize(kMaxBatch * slot_size_);
    iovs_.resize(kMaxBatch);
    msgs_.resize(kMaxBatch);
  }

  void run() {
    if (s_.active.empty())
      return;
    if (s_.flat)
      run_flat();
    else
      run_paced();
  }

 private:
  /// Sending ends with the measured window (or when the traffic is torn down early).
  bool done(std::uint64_t now) const {
    return now >= s_.window.end() || s_.stop.load(std::memory_order_relaxed);
  }
  void run_paced();
  void run_flat();
  /// One pass over the windows; sets `attempted` when some client had room.
  bool fill(std::uint64_t now, bool& attempted);
  bool any_room() const;
  /// Sends `count` packets of client `k` (sequence numbers from `seqs`, or the client's
  /// counter); returns how many went out. Unsent ones are always the last.
  std::size_t send(std::uint32_t k, std::size_t count, const std::uint32_t* seqs,
                   std::uint64_t now);
  std::size_t send_datagrams(const Client& c, const PacketTemplate& t, std::size_t count,
                             const std::uint32_t* seqs, std::uint64_t now);
  void flush_streams();

  TrafficShared& s_;
  SenderStats& stats_;
  std::vector<std::uint32_t> next_seq_;
  std::size_t slot_size_ = 0;
  std::vector<std::uint8_t> arena_;
  std::vector<iovec> iovs_;
  std::vector<mmsghdr> msgs_;
  std::vector<std::uint8_t> stream_buf_;
  std::vector<std::uint32_t> backlog_;  // TCP clients with bytes the kernel has not taken
  std::vector<std::uint8_t> backlog_flag_;
};

std::size_t Sender::send_datagrams(const Client& c, const PacketTemplate& t, std::size_t count,
                                   const std::uint32_t* seqs, std::uint64_t now) {
  std::size_t sent = 0;
  while (sent < count) {
    const std::size_t m = std::min(kMaxBatch, count - sent);
    for (std::size_t i = 0; i < m; ++i) {
      std::uint8_t* buf = arena_.data() + i * slot_size_;
      std::memcpy(buf, t.bytes.data(), t.bytes.size());
      const std::uint32_t seq = seqs ? seqs[sent + i] : next_seq_[c.index]++;
      write_stamp(buf + t.payload_offset, s_.options.size, {now, c.index, seq});
      iovs_[i] = {buf, t.bytes.size()};
      msgs_[i] = {};
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    std::size_t done = 0;
    while (done < m) {
      const int r = ::sendmmsg(c.conn.fd(), msgs_.data() + done, static_cast<unsigned>(m - done),
                               MSG_DONTWAIT);
      if (r <= 0)
        break;  // buffer full or an ICMP error: the rest of this batch is dropped
      done += static_cast<std::size_t>(r);
    }
    sent += done;
    if (done < m)
      break;
  }
  return sent;
}

std::size_t Sender::send(std::uint32_t k, std::size_t count, const std::uint32_t* seqs,
                         std::uint64_t now) {
  Client& c = s_.clients[k];
  const PacketTemplate& t = s_.templates[k];
  if (!c.conn.is_open())
    return 0;
  std::size_t sent = 0;
  if (c.conn.stream()) {
    stream_buf_.clear();
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t at = stream_buf_.size();
      stream_buf_.insert(stream_buf_.end(), t.bytes.begin(), t.bytes.end());
      const std::uint32_t seq = seqs ? seqs[i] : next_seq_[k]++;
      write_stamp(stream_buf_.data() + at + t.payload_offset, s_.options.size, {now, k, seq});
    }
    if (c.conn.send(stream_buf_) == Connection::SendResult::kOk)
      sent = count;
    if (c.conn.queued() > 0 && !backlog_flag_[k]) {
      backlog_flag_[k] = 1;
      backlog_.push_back(k);
    }
  } else {
    sent = send_datagrams(c, t, count, seqs, now);
  }
  stats_.sent_total += sent;
  stats_.dropped += count - sent;
  if (s_.window.contains(now))
    stats_.sent_in_window += sent;
  return sent;
}

void Sender::flush_streams() {
  std::erase_if(backlog_, [&](std::uint32_t k) {
    Connection& conn = s_.clients[k].conn;
    if (conn.is_open() && conn.queued() > 0 && conn.flush() && conn.queued() > 0)
      return false;
    backlog_flag_[k] = 0;
    return true;
  });
}

void Sender::run_paced() {
  const Options& o = s_.options;
  const std::size_t n = s_.active.size();
  double period_ns = 20e6;  // audio: one packet per 20 ms (50 packets/s, an Opus stream)
  std::size_t per_event = 1;
  if (o.mode == Mode::kHold) {
    period_ns = 1e9;  // light traffic: one packet per client per second
  } else if (o.shape == Shape::kVideo) {
    period_ns = 33e6;  // one frame per 33 ms (30 fps), sent as a burst of packets
    per_event = o.burst;
  } else if (o.rate) {
    period_ns = 1e9 * static_cast<double>(n) / *o.rate;
  }
  RoundRobinSchedule schedule(now_ns(), period_ns, n);
  std::vector<std::size_t> pending(n, 0);
  std::vector<std::size_t> touched;
  for (;;) {
    const std::uint64_t now = now_ns();
    if (done(now))
      return;
    s_.keepalive.poll(now);
    std::size_t events = 0;
    for (; events < kMaxEventsPerRound && schedule.next_due() <= now; ++events) {
      const std::size_t pos = schedule.next_client();
      if (pending[pos]++ == 0)
        touched.push_back(pos);
      schedule.advance();
    }
    // Grouped per client, so that a client with several packets due (a video burst, or an audio
    // client at a high --rate) sends them with one call.
    for (std::size_t pos : touched) {
      send(s_.active[pos], pending[pos] * per_event, nullptr, now);
      pending[pos] = 0;
    }
    touched.clear();
    flush_streams();
    if (events == kMaxEventsPerRound)
      continue;  // behind schedule: no sleep
    sleep_until_ns(std::min({schedule.next_due(), now + kMaxSleepNs, s_.window.end()}));
  }
}

bool Sender::any_room() const {
  return std::any_of(s_.active.begin(), s_.active.end(),
                     [&](std::uint32_t k) { return s_.flat->room(k) > 0; });
}

bool Sender::fill(std::uint64_t now, bool& attempted) {
  bool sent_any = false;
  std::uint32_t seqs[kMaxBatch];
  for (std::uint32_t k : s_.active) {
    const std::size_t room = std::min(s_.flat->room(k), kMaxBatch);
    if (room == 0)
      continue;
    std::size_t m = 0;
    std::size_t from = 0;
    while (m < room) {
      const std::uint32_t seq = s_.flat->claim(k, from, now);
      if (seq == FlatWindow::kFree)
        break;
      seqs[m++] = seq;
    }
    if (m == 0)
      continue;
    attempted = true;
    const std::size_t n = send(k, m, seqs, now);
    for (std::size_t i = n; i < m; ++i)
      s_.flat->unclaim(k, seqs[i]);
    sent_any = sent_any || n > 0;
  }
  return sent_any;
}

void Sender::run_flat() {
  std::uint64_t next_expire = now_ns() + kExpireEveryNs;
  for (;;) {
    std::uint64_t now = now_ns();
    if (done(now))
      return;
    s_.keepalive.poll(now);
    if (now >= next_expire) {
      for (std::uint32_t k : s_.active)
        s_.flat->expire(k, now);
      next_expire = now + kExpireEveryNs;
    }
    bool attempted = false;
    const bool sent_any = fill(now, attempted);
    flush_streams();
    if (sent_any)
      continue;
    if (attempted) {
      // Room, but the kernel took nothing (buffers full, server gone): back off briefly.
      sleep_until_ns(now + kNsPerMs);
      continue;
    }
    s_.wakeup.arm();
    if (any_room()) {
      s_.wakeup.disarm();
      continue;
    }
    now = now_ns();
    s_.wakeup.wait(next_expire > now ? next_expire - now : 0);
  }
}

}  // namespace

void run_sender(TrafficShared& shared, SenderStats& stats) {
  Sender(shared, stats).run();
}

}  // namespace load
