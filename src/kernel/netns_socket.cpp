#include "kernel/netns_socket.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

namespace port_exporter {
namespace {

std::string errno_text(int error) { return std::generic_category().message(error); }

}  // namespace

Result<int> open_socket_in_netns(const std::string& netns_path, int domain, int type,
                                 int protocol) {
  const int ns_fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) return Error{"open " + netns_path + ": " + errno_text(errno)};
  // The thread's namespace dies with it: nothing else ever runs in the entered namespace,
  // and no exception can leave the thread (only syscalls run in it).
  int socket_fd = -1;
  int error = 0;
  const char* step = "setns";
  try {
    std::thread enter([&] {
      if (::setns(ns_fd, CLONE_NEWNET) != 0) {
        error = errno;
        return;
      }
      step = "socket";
      socket_fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
      if (socket_fd < 0) error = errno;
    });
    enter.join();
  } catch (const std::system_error& e) {  // no thread could be started
    ::close(ns_fd);
    return Error{"thread for " + netns_path + ": " + e.what()};
  }
  ::close(ns_fd);
  if (socket_fd < 0) return Error{std::string(step) + " " + netns_path + ": " + errno_text(error)};
  return socket_fd;
}

}  // namespace port_exporter
