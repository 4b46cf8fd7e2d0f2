// SPDX-License-Identifier: Apache-2.0
// socket_holder: holds the sockets and processes the benchmark measures against, so that
// bench/run.sh can spread them over several processes (the fd hard limit is 20,000 per
// process). It prints one "ready ..." line when everything is open, then waits for
// SIGTERM/SIGINT/SIGHUP, or for its parent to die (PR_SET_PDEATHSIG), and exits.
//
//   socket_holder tcp ADDRESS SOCKETS [PORT]
//       A TCP listener on ADDRESS:PORT (0 or omitted: a free port) and SOCKETS/2
//       established loopback connections to it, both ends held here: SOCKETS sockets plus
//       the listener. Every socket gets SO_LINGER {1, 0}, so exit resets them and leaves
//       no TIME_WAIT behind to disturb the next measurement. Prints "ready PORT SOCKETS".
//   socket_holder connections ADDRESS SOCKETS [PORT]
//       The same, but the listener is closed once the connections are up: SOCKETS
//       established sockets on the port and nothing listening there (the usual state of a
//       port watched with expect: absent).
//   socket_holder sleepers COUNT FDS
//       COUNT child processes, each holding FDS socket fds (socketpairs) and sleeping;
//       what an owner lookup walks on a busy host. Prints "ready COUNT". The children
//       die with this process.
//   socket_holder netns-listeners PORT NETNS_FILE...
//       One child process per network namespace file (/run/netns/NAME), inside that
//       namespace, holding a TCP listener on 127.0.0.1:PORT there: a pod with its own
//       process and listener. Prints "ready COUNT". The children die with this process.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "socket_holder: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

void set_no_linger(int fd) {
  const linger no_linger{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
}

sockaddr_in ipv4(const char* address, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, address, &a.sin_addr) != 1) {
    errno = EINVAL;
    die(std::string("not an IPv4 address: ") + address);
  }
  return a;
}

// Blocks the stop signals; the caller sigwait()s on the returned set.
sigset_t block_stop_signals() {
  sigset_t stop;
  sigemptyset(&stop);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop, s);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  return stop;
}

void wait_for_stop(const sigset_t& stop) {
  int signal = 0;
  while (sigwait(&stop, &signal) != 0) {
  }
}

int hold_tcp(const char* address, long sockets, std::uint16_t port, bool keep_listener) {
  const sigset_t stop = block_stop_signals();
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in where = ipv4(address, port);
  if (bind(listener, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0) {
    die(std::string("bind ") + address + ":" + std::to_string(port));
  }
  if (listen(listener, 4096) != 0) die("listen");
  socklen_t size = sizeof where;
  getsockname(listener, reinterpret_cast<sockaddr*>(&where), &size);
  // Connect, then accept at once: the backlog never fills and no SYN is ever dropped.
  for (long i = 0; i < sockets / 2; ++i) {
    const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0) die("socket (client " + std::to_string(i) + ")");
    set_no_linger(client);
    if (connect(client, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0) {
      die("connect " + std::to_string(i));
    }
    const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (server < 0) die("accept " + std::to_string(i));
    set_no_linger(server);
  }
  if (!keep_listener) close(listener);
  std::printf("ready %u %ld\n", ntohs(where.sin_port), sockets / 2 * 2);
  std::fflush(stdout);
  wait_for_stop(stop);
  return 0;  // the kernel closes (resets) every socket
}

// `count` children, each running `setup(i)` (exit 1 on failure, which fails the holder) and
// then sleeping until this process ends; prints "ready COUNT" once all are set up.
template <typename Setup>
int hold_children(long count, Setup setup) {
  const sigset_t stop = block_stop_signals();
  const pid_t parent = getpid();
  std::vector<pid_t> children;
  int ready[2];
  if (pipe(ready) != 0) die("pipe");
  for (long i = 0; i < count; ++i) {
    const pid_t child = fork();
    if (child < 0) die("fork " + std::to_string(i));
    if (child == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      const char ok = setup(i) ? 1 : 0;
      if (write(ready[1], &ok, 1) != 1 || ok == 0) _exit(1);
      for (;;) pause();
    }
    children.push_back(child);
  }
  for (long i = 0; i < count; ++i) {
    char ok = 0;
    if (read(ready[0], &ok, 1) != 1 || ok == 0) {
      errno = EIO;
      die("a child could not set up");
    }
  }
  std::printf("ready %ld\n", count);
  std::fflush(stdout);
  wait_for_stop(stop);
  for (pid_t child : children) kill(child, SIGKILL);
  for (pid_t child : children) waitpid(child, nullptr, 0);
  return 0;
}

int hold_sleepers(long count, long fds) {
  return hold_children(count, [fds](long) {
    for (long f = 0; f < fds; f += 2) {
      int pair[2];
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return false;
    }
    return true;
  });
}

int hold_netns_listeners(std::uint16_t port, char** files, long count) {
  return hold_children(count, [port, files](long i) {
    const int ns = open(files[i], O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) return false;
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in where = ipv4("127.0.0.1", port);
    return listener >= 0 &&
           bind(listener, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0 &&
           listen(listener, 16) == 0;
  });
}

}  // namespace

int main(int argc, char** argv) {
  // Die with bench/run.sh even if it is killed with SIGKILL.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  const std::string mode = argc > 1 ? argv[1] : "";
  if ((mode == "tcp" || mode == "connections") && (argc == 4 || argc == 5)) {
    const long port = argc == 5 ? std::strtol(argv[4], nullptr, 10) : 0;
    return hold_tcp(argv[2], std::strtol(argv[3], nullptr, 10), static_cast<std::uint16_t>(port),
                    mode == "tcp");
  }
  if (mode == "sleepers" && argc == 4) {
    return hold_sleepers(std::strtol(argv[2], nullptr, 10), std::strtol(argv[3], nullptr, 10));
  }
  if (mode == "netns-listeners" && argc >= 4) {
    return hold_netns_listeners(static_cast<std::uint16_t>(std::strtol(argv[2], nullptr, 10)),
                                argv + 3, argc - 3);
  }
  std::fprintf(stderr,
               "usage: %s tcp|connections ADDRESS SOCKETS [PORT] | sleepers COUNT FDS |\n"
               "       netns-listeners PORT NETNS_FILE...\n"
               "prints \"ready ...\" when set up, exits on SIGTERM\n",
               argv[0]);
  return 2;
}
