// SPDX-License-Identifier: Apache-2.0
// Network namespaces made by tests with `ip netns add`, unique per test process, deleted
// in the destructor (also when the test fails), and code that runs inside one.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace port_exporter::test {

inline int run_shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class TestNetns {
 public:
  TestNetns() {
    static std::atomic<int> next{0};
    name_ = "pe-test-" + std::to_string(::getpid()) + "-" + std::to_string(next++);
    if (run_shell("ip netns add " + name_) != 0) throw std::runtime_error("ip netns add " + name_);
    // lo is down in a new namespace: 127.0.0.1 and ::1 exist only once it is up.
    if (run_shell("ip netns exec " + name_ + " ip link set lo up") != 0) {
      remove();
      throw std::runtime_error("ip link set lo up in " + name_);
    }
  }
  ~TestNetns() { remove(); }
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }
  bool exists() const { return ::access(path().c_str(), F_OK) == 0; }

  // Runs `body` on a thread that has entered the namespace: sockets it creates live there.
  void run_inside(const std::function<void()>& body) const {
    std::string error;
    std::thread inside([&] {
      const int fd = ::open(path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        error = "cannot enter " + name_;
      } else {
        body();
      }
      if (fd >= 0) ::close(fd);
    });
    inside.join();
    if (!error.empty()) throw std::runtime_error(error);
  }

  void remove() {
    if (!deleted_) run_shell("ip netns del " + name_ + " 2>/dev/null");
    deleted_ = true;
  }

 private:
  std::string name_;
  bool deleted_ = false;
};

}  // namespace port_exporter::test
