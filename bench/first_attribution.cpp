// SPDX-License-Identifier: Apache-2.0
// first_attribution: how long the exporter takes to name the owner of a listener it has
// never seen (issue 15), on whatever processes and fds the host has (bench/
// first_attribution.sh opens them). Each round a child process (run as --uid when given)
// opens a TCP listener on 127.0.0.1; the round then times, with a fresh OwnerResolver:
//   first:      the kernel dump of that port plus the owner lookup, as the collection that
//               first sees the listener does it (the processes of the socket's namespace
//               and uid read first);
//   complete:   the next lookup, which reads the rest of the namespace (other holders);
//   namespace:  the lookup as it was before the uid-first order (every process of the
//               namespace read): the same socket looked for under a uid no process has.
// Each lookup must find the child, or the program fails. Prints one line per measure:
//   NAME MEDIAN_MS MIN_MS MAX_MS PROCESSES_READ
//
//   first_attribution [--rounds N] [--uid UID]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/snapshot.h"
#include "kernel/netlink_source.h"
#include "kernel/owners.h"

namespace pe = port_exporter;

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "first_attribution: %s\n", what.c_str());
  std::exit(1);
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A child holding a TCP listener on 127.0.0.1 (created after it took `uid`, when >= 0),
// until it is killed or this process dies.
struct Listener {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

Listener start_listener(long uid) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) die("pipe");
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    close(pipe_fds[0]);
    if (uid >= 0 && (setresgid(static_cast<gid_t>(uid), static_cast<gid_t>(uid),
                               static_cast<gid_t>(uid)) != 0 ||
                     setresuid(static_cast<uid_t>(uid), static_cast<uid_t>(uid),
                               static_cast<uid_t>(uid)) != 0)) {
      _exit(2);
    }
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(fd, 16) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      _exit(3);
    }
    const std::uint16_t port = ntohs(address.sin_port);
    if (write(pipe_fds[1], &port, sizeof port) != sizeof port) _exit(4);
    for (;;) pause();
  }
  close(pipe_fds[1]);
  Listener listener{child, 0};
  if (read(pipe_fds[0], &listener.port, sizeof listener.port) != sizeof listener.port) {
    die("the listener child failed (setresuid needs root)");
  }
  close(pipe_fds[0]);
  return listener;
}

void stop(const Listener& listener) {
  kill(listener.pid, SIGKILL);
  waitpid(listener.pid, nullptr, 0);
}

struct Series {
  std::vector<double> ms;
  std::uint64_t processes = 0;  // read by the last round
  void print(const char* name) {
    std::sort(ms.begin(), ms.end());
    std::printf("%s %.3f %.3f %.3f %llu\n", name, ms[ms.size() / 2], ms.front(), ms.back(),
                static_cast<unsigned long long>(processes));
  }
};

// The lookup must name the child: a benchmark of a lookup that finds nothing measures nothing.
void expect_owner(const pe::Result<pe::OwnerMap>& owners, const pe::SocketRef& socket,
                  const Listener& listener, const char* what) {
  if (!owners) die(std::string(what) + ": " + owners.error());
  const auto found = owners.value().find(socket.inode);
  if (found == owners.value().end() || found->second.empty() ||
      found->second.front().pid != listener.pid) {
    die(std::string(what) + ": the listener's owner was not found");
  }
}

struct Measures {
  Series first, lookup, complete, namespace_walk;
};

void round(pe::NetlinkSource& netlink, long uid, Measures& m) {
  const Listener listener = start_listener(uid);
  auto config = pe::parse_config(
      "ports:\n  - port: " + std::to_string(listener.port) + "\n    protocols: [tcp]\n",
      "first_attribution");
  if (!config) die(config.error());

  const Clock::time_point appeared = Clock::now();
  auto records = netlink.dump(pe::watch_set(config.value()));
  if (!records) die(records.error());
  const std::vector<pe::SocketRef> sockets = pe::listener_sockets(config.value(), records.value());
  if (sockets.size() != 1) die("the listener is not in the dump");
  pe::OwnerResolver owners("/proc");
  const Clock::time_point lookup = Clock::now();
  const auto first = owners.resolve_sockets(sockets);
  m.lookup.ms.push_back(ms_since(lookup));
  m.first.ms.push_back(ms_since(appeared));
  expect_owner(first, sockets[0], listener, "first");
  m.first.processes = m.lookup.processes = owners.processes_scanned();

  const Clock::time_point completing = Clock::now();
  expect_owner(owners.resolve_sockets(sockets), sockets[0], listener, "complete");
  m.complete.ms.push_back(ms_since(completing));
  m.complete.processes = owners.processes_scanned() - m.first.processes;

  pe::OwnerResolver before("/proc");
  pe::SocketRef no_uid = sockets[0];
  no_uid.uid = 4294967294u;  // no process has it: the whole namespace is read, as before
  const Clock::time_point walking = Clock::now();
  const auto walked = before.resolve_sockets({no_uid});
  m.namespace_walk.ms.push_back(ms_since(walking));
  expect_owner(walked, no_uid, listener, "namespace");
  m.namespace_walk.processes = before.processes_scanned();
  stop(listener);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 7;
  long uid = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--uid") {
      uid = std::atol(argv[i + 1]);
    } else {
      die("unknown flag " + flag + " (--rounds N, --uid UID)");
    }
  }
  auto netlink = pe::NetlinkSource::open();
  if (!netlink) die(netlink.error());
  Measures m;
  for (int i = 0; i < rounds; ++i) round(*netlink.value(), uid, m);
  m.first.print("first");
  m.lookup.print("lookup");
  m.complete.print("complete");
  m.namespace_walk.print("namespace");
  return 0;
}
