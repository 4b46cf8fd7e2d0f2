// SPDX-License-Identifier: Apache-2.0
#include "kernel/event_poller.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "base/errno_text.h"

namespace port_exporter {

Result<std::unique_ptr<EventPoller>> EventPoller::create() {
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error{"eventfd: " + errno_text(errno)};
  return std::unique_ptr<EventPoller>(new EventPoller(fd));
}

EventPoller::~EventPoller() { ::close(eventfd_); }

void EventPoller::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(eventfd_, &one, sizeof one);
}

Result<EventPoller::Ready> EventPoller::wait(const std::vector<int>& fds,
                                             std::chrono::milliseconds timeout) {
  std::vector<pollfd> polled;
  polled.reserve(fds.size() + 1);
  for (const int fd : fds) polled.push_back(pollfd{fd, POLLIN, 0});
  polled.push_back(pollfd{eventfd_, POLLIN, 0});
  Ready ready;
  const int n = ::poll(polled.data(), polled.size(), static_cast<int>(timeout.count()));
  if (n < 0) {
    if (errno == EINTR) return ready;
    return Error{"poll: " + errno_text(errno)};
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    // POLLERR: a pending ENOBUFS; drain() reads it and goes on.
    if (polled[i].revents != 0) ready.readable.push_back(i);
  }
  if (polled.back().revents != 0) {
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t got = ::read(eventfd_, &count, sizeof count);
    ready.woken = true;
  }
  return ready;
}

}  // namespace port_exporter
