// libuv handles owned the one way libuv allows: a handle's memory must stay valid until the
// callback of its uv_close has run, so an object that embeds one is closed first and freed in
// that callback, never by a plain delete. And every uv_* call's result is looked at.
#pragma once

#include <uv.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "util/log.hpp"

namespace turn {

/// A uv_* result at setup (loop, timers, asyncs, listeners): failing there is a startup error.
inline void uv_require(int rc, const char* what) {
  if (rc < 0)
    throw std::runtime_error(std::string(what) + ": " + uv_strerror(rc));
}

/// A uv_* result on the running loop (a poll on a connection's socket): logged, rate-limited,
/// and reported to the caller, which drops that one connection or socket.
inline bool uv_succeeded(int rc, const char* what) {
  if (rc >= 0)
    return true;
  if (log::enabled(log::Level::kError)) {
    static log::RateLimit limit(10);
    log::write_limited(limit, log::Level::kError, std::string(what) + ": " + uv_strerror(rc));
  }
  return false;
}

/// Asks libuv for `wanted` events on `poll` (none: stop) when they differ from `current`, so an
/// unchanged interest costs no epoll_ctl (the common case on every event).
inline void set_poll_events(uv_poll_t& poll, int& current, int wanted, uv_poll_cb callback) {
  if (wanted == current)
    return;
  current = wanted;
  if (wanted == 0) {
    uv_succeeded(uv_poll_stop(&poll), "poll stop");
  } else {
    uv_succeeded(uv_poll_start(&poll, wanted, callback), "poll start");
  }
}

/// A heap object T that embeds the libuv poll handle `T::*Member` (of type H). make_polled()
/// allocates it, registers the handle and points the handle's data at it; close() closes the
/// handle, and the object is deleted in the close callback (its destructor then releases
/// whatever else it holds).
template <typename T, typename H, H T::*Member>
struct UvHandle {
  /// Allocates T (`args` forwarded), then uv_poll_init of the handle (a uv_poll_t) on `fd`. Null
  /// when libuv refuses: the object never reached the loop, so it is freed at once (its destructor
  /// closes what it holds), and the failure is logged as `what`.
  template <typename... Args>
  static T* make_polled(uv_loop_t* loop, int fd, const char* what, Args&&... args) {
    T* object = new T(std::forward<Args>(args)...);
    if (!uv_succeeded(uv_poll_init(loop, &(object->*Member), fd), what)) {
      delete object;
      return nullptr;
    }
    (object->*Member).data = object;
    return object;
  }
  static void close(T* object) {
    uv_close(reinterpret_cast<uv_handle_t*>(&(object->*Member)),
             [](uv_handle_t* handle) { delete static_cast<T*>(handle->data); });
  }
};

}  // namespace turn
