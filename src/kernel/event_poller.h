// SPDX-License-Identifier: Apache-2.0
// EventPoller: waits until one of several descriptors is readable, a timeout passes, or
// another thread calls wake() (an eventfd): how an event reader thread sleeps without
// ever blocking its stop.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "base/result.h"

namespace port_exporter {

class EventPoller {
 public:
  static Result<std::unique_ptr<EventPoller>> create();
  ~EventPoller();
  EventPoller(const EventPoller&) = delete;
  EventPoller& operator=(const EventPoller&) = delete;

  // Thread-safe and async-signal-safe: the current or next wait() returns at once.
  void wake();

  struct Ready {
    bool woken = false;                 // wake() was called (and is now consumed)
    std::vector<std::size_t> readable;  // indexes into `fds`
  };
  // Errors only for a poll() failure other than EINTR.
  Result<Ready> wait(const std::vector<int>& fds, std::chrono::milliseconds timeout);

 private:
  explicit EventPoller(int eventfd) : eventfd_(eventfd) {}
  int eventfd_;
};

}  // namespace port_exporter
