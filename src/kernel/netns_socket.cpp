// SPDX-License-Identifier: Apache-2.0
#include "kernel/netns_socket.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "base/errno_text.h"

namespace port_exporter {

Result<int> open_in_netns(const std::string& netns_path, const std::function<Result<int>()>& open) {
  const int ns_fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) return Error{"open " + netns_path + ": " + errno_message(errno)};
  // The thread's namespace dies with it: nothing else ever runs in the entered namespace.
  // Exceptions stay on the thread: `open` returns a Result.
  Result<int> opened = Error{"not run"};
  try {
    std::thread enter([&] {
      if (::setns(ns_fd, CLONE_NEWNET) != 0) {
        opened = Error{"setns " + netns_path + ": " + errno_message(errno)};
        return;
      }
      try {
        opened = open();
      } catch (const std::exception& e) {
        opened = Error{"in " + netns_path + ": " + e.what()};
      }
    });
    enter.join();
  } catch (const std::system_error& e) {  // no thread could be started
    opened = Error{"thread for " + netns_path + ": " + e.what()};
  }
  ::close(ns_fd);
  return opened;
}

Result<int> open_socket_in_netns(const std::string& netns_path, int domain, int type,
                                 int protocol) {
  return open_in_netns(netns_path, [&]() -> Result<int> {
    const int fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
    if (fd < 0) return Error{"socket in " + netns_path + ": " + errno_message(errno)};
    return fd;
  });
}

}  // namespace port_exporter
