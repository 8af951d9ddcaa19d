// The receiver thread: epoll over every client's socket, recvmmsg (or stream reads), and for each
// echo its RTT from the stamp it carries. STUN responses among the data go to the keepalive.
#include <sys/epoll.h>
#include <unistd.h>

#include <iostream>

#include "clock.hpp"
#include "stun/channel_data.hpp"
#include "stun/message_view.hpp"
#include "traffic.hpp"

namespace load {

namespace {

class Receiver {
 public:
  Receiver(TrafficShared& shared, ReceiverStats& stats)
      : s_(shared), stats_(stats), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {}
  ~Receiver() { ::close(epoll_); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  void run();

 private:
  void on_message(std::uint32_t k, stun::Bytes bytes, std::uint64_t now);
  void on_payload(std::uint32_t k, stun::Bytes payload, std::uint64_t now);

  TrafficShared& s_;
  ReceiverStats& stats_;
  int epoll_;
  RecvScratch scratch_;
  bool freed_ = false;
};

void Receiver::on_payload(std::uint32_t k, stun::Bytes payload, std::uint64_t now) {
  Stamp st;
  if (!read_stamp(payload.data(), payload.size(), st) || st.client != k) {
    ++stats_.stray;
    return;
  }
  if (s_.flat) {
    // Only the echo of a packet still outstanding counts; a late one was already declared lost.
    if (!s_.flat->release(k, st.seq))
      return;
    freed_ = true;
  }
  ++stats_.received_total;
  if (s_.window.contains(st.sent_ns)) {
    ++stats_.received_in_window;
    stats_.rtt.record(now - st.sent_ns);
  }
}

void Receiver::on_message(std::uint32_t k, stun::Bytes bytes, std::uint64_t now) {
  if (bytes.empty())
    return;
  if (s_.options.mode == Mode::kDirect) {
    on_payload(k, bytes, now);  // the echo peer answered the client itself: no framing
    return;
  }
  if (bytes[0] >= 0x40 && bytes[0] <= 0x7F) {
    auto cd = stun::ChannelDataView::parse(bytes, stun::kMaxChannelRfc5766);
    if (cd)
      on_payload(k, cd->payload, now);
    else
      ++stats_.stray;
    return;
  }
  auto m = stun::MessageView::parse(bytes);
  if (!m) {
    ++stats_.stray;
    return;
  }
  if (m->message_class() == stun::Class::kIndication && m->method() == stun::Method::kData) {
    auto data = m->get(stun::attr::kData);
    if (data)
      on_payload(k, *data, now);
    else
      ++stats_.stray;
    return;
  }
  if (m->message_class() == stun::Class::kSuccess || m->message_class() == stun::Class::kError)
    s_.keepalive.post(k, bytes);
}

void Receiver::run() {
  for (std::uint32_t k : s_.active) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = k;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, s_.clients[k].conn.fd(), &ev);
  }
  epoll_event events[512];
  while (!s_.stop.load(std::memory_order_relaxed)) {
    const int n = ::epoll_wait(epoll_, events, 512, 50);
    for (int i = 0; i < n; ++i) {
      const std::uint32_t k = events[i].data.u32;
      Connection& conn = s_.clients[k].conn;
      const std::uint64_t now = now_ns();
      const bool alive =
          conn.receive(scratch_, [&](stun::Bytes bytes) { on_message(k, bytes, now); });
      if (!alive) {
        if (stats_.dead_connections++ == 0)
          std::cerr << "turnd_load: client " << k << ": " << conn.error() << "\n";
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, conn.fd(), nullptr);
      }
    }
    // One wake-up per round, however many slots the round freed.
    if (freed_) {
      freed_ = false;
      s_.wakeup.notify();
    }
  }
}

}  // namespace

void run_receiver(TrafficShared& shared, ReceiverStats& stats) {
  Receiver(shared, stats).run();
}

}  // namespace load
