// SPDX-License-Identifier: Apache-2.0
// Test helpers: real TCP/UDP sockets on loopback (RAII, port 0 -> a free port) and `ss` run
// with a port filter, so integration tests compare the exporter with ss on the same sockets.
// Failures throw std::runtime_error naming the call: gtest reports them as test failures.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "model/socket.h"

namespace port_exporter::test {

struct SocketOptions {
  bool v6only = false;     // IPV6_V6ONLY; false leaves an IPv6 wildcard socket dual-stack
  bool reuseport = false;  // SO_REUSEPORT: several listeners sharing one port
};

[[noreturn]] inline void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::generic_category().message(errno));
}

// An owned socket descriptor.
class TestSocket {
 public:
  TestSocket() = default;
  explicit TestSocket(int fd) : fd_(fd) {}
  ~TestSocket() { close(); }
  TestSocket(TestSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  TestSocket& operator=(TestSocket&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;

  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Host byte order, as the kernel assigned it for port 0.
  std::uint16_t local_port() const {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw_errno("getsockname");
    }
    if (address.ss_family == AF_INET) {
      return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }

  // The socket inode, as sock_diag, /proc/net and /proc/<pid>/fd report it.
  std::uint64_t inode() const {
    struct stat status {};
    if (fstat(fd_, &status) != 0) throw_errno("fstat");
    return status.st_ino;
  }

 private:
  int fd_ = -1;
};

// A numeric IPv4 or IPv6 address and a port as a sockaddr.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t size = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

inline SocketAddress make_address(const std::string& address, std::uint16_t port) {
  SocketAddress result;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    result.size = sizeof *v4;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    result.size = sizeof *v6;
  } else {
    throw std::runtime_error("not a numeric address: " + address);
  }
  return result;
}

inline TestSocket open_socket(Protocol protocol, int family) {
  const int type = protocol == Protocol::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  TestSocket socket_fd(::socket(family, type | SOCK_CLOEXEC, 0));
  if (socket_fd.fd() < 0) throw_errno("socket");
  return socket_fd;
}

inline void set_flag(const TestSocket& s, int level, int option, const char* name) {
  const int one = 1;
  if (setsockopt(s.fd(), level, option, &one, sizeof one) != 0) throw_errno(name);
}

// Like open_listener, but a port already in use gives a closed TestSocket (fd -1) instead
// of an exception.
inline TestSocket try_open_listener(Protocol protocol, const std::string& address,
                                    std::uint16_t port, SocketOptions options = {}) {
  const SocketAddress where = make_address(address, port);
  TestSocket s = open_socket(protocol, where.family());
  if (where.family() == AF_INET6) {
    const int v6only = options.v6only ? 1 : 0;
    if (setsockopt(s.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) {
      throw_errno("setsockopt(IPV6_V6ONLY)");
    }
  }
  if (options.reuseport) set_flag(s, SOL_SOCKET, SO_REUSEPORT, "setsockopt(SO_REUSEPORT)");
  if (bind(s.fd(), where.get(), where.size) != 0) {
    if (errno == EADDRINUSE) return TestSocket();
    throw_errno("bind " + address + ":" + std::to_string(port));
  }
  if (protocol == Protocol::kTcp && listen(s.fd(), 64) != 0) throw_errno("listen");
  return s;
}

// TCP: bound and listening. UDP: bound, not connected. Port 0 picks a free port: read it
// back with local_port(). For several sockets on one port use open_listener_group.
inline TestSocket open_listener(Protocol protocol, const std::string& address,
                                std::uint16_t port = 0, SocketOptions options = {}) {
  TestSocket s = try_open_listener(protocol, address, port, options);
  if (s.fd() < 0) {
    errno = EADDRINUSE;
    throw_errno("bind " + address + ":" + std::to_string(port));
  }
  return s;
}

struct ListenerSpec {
  std::string address;
  SocketOptions options;
};

// Listeners sharing one fresh port, e.g. {{"0.0.0.0"}, {"::", {true, false}}} or an
// SO_REUSEPORT group. The first gets a port from the kernel, the others bind to it; when
// one cannot (the port is taken in the other family, or by a TIME_WAIT socket of an earlier
// test) all are closed and another port is tried.
inline std::vector<TestSocket> open_listener_group(Protocol protocol,
                                                   const std::vector<ListenerSpec>& specs) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::vector<TestSocket> group;
    group.push_back(open_listener(protocol, specs.at(0).address, 0, specs.at(0).options));
    const std::uint16_t port = group.front().local_port();
    for (std::size_t i = 1; i < specs.size(); ++i) {
      group.push_back(try_open_listener(protocol, specs[i].address, port, specs[i].options));
      if (group.back().fd() < 0) break;
    }
    if (group.back().fd() >= 0) return group;
  }
  throw std::runtime_error("no port free for a group of " + std::to_string(specs.size()) +
                           " listeners after 50 attempts");
}

// TCP: connected (the handshake completes in the kernel, before any accept). UDP: a
// connected socket (peer fixed, state established).
inline TestSocket open_connection(Protocol protocol, const std::string& address,
                                  std::uint16_t port) {
  const SocketAddress where = make_address(address, port);
  TestSocket s = open_socket(protocol, where.family());
  if (connect(s.fd(), where.get(), where.size) != 0) {
    throw_errno("connect " + address + ":" + std::to_string(port));
  }
  return s;
}

inline TestSocket accept_connection(const TestSocket& listener) {
  TestSocket s(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
  if (s.fd() < 0) throw_errno("accept");
  return s;
}

// Both ends of an established TCP connection: `client` has the listener's port as its
// remote port (outbound), `server` has it as its local port (inbound).
struct TcpConnection {
  TestSocket client;
  TestSocket server;
};

inline TcpConnection connect_tcp(const TestSocket& listener, const std::string& address) {
  TcpConnection c;
  c.client = open_connection(Protocol::kTcp, address, listener.local_port());
  c.server = accept_connection(listener);
  return c;
}

// "( sport = :P or dport = :P or ... )": what the exporter watches, in ss filter syntax.
inline std::string ss_port_filter(const std::vector<std::uint16_t>& ports) {
  std::string filter = "(";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string port = std::to_string(ports[i]);
    filter += (i == 0 ? " " : " or ") + ("sport = :" + port + " or dport = :" + port);
  }
  return filter + " )";
}

// The lines of `ss -H -n <options> '<filter>'`, e.g. run_ss("-t -a -4", ss_port_filter(p)).
// Select one protocol per call so the first column is the state. -a includes listeners.
// With `netns`, ss runs inside that named namespace (ip netns exec).
inline std::vector<std::string> run_ss(const std::string& options, const std::string& filter,
                                       const std::string& netns = "") {
  const std::string command = (netns.empty() ? "" : "ip netns exec " + netns + " ") + "ss -H -n " +
                              options + " '" + filter + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw_errno("popen " + command);
  std::vector<std::string> lines;
  std::string line;
  for (int c = fgetc(pipe); c != EOF; c = fgetc(pipe)) {
    if (c != '\n') {
      line.push_back(static_cast<char>(c));
    } else if (!line.empty()) {
      lines.push_back(std::exchange(line, {}));
    }
  }
  if (!line.empty()) lines.push_back(line);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("`" + command + "` failed (its stderr is in the test log)");
  }
  return lines;
}

inline std::size_t count_ss(const std::string& options, const std::string& filter,
                            const std::string& netns = "") {
  return run_ss(options, filter, netns).size();
}

// ss's State column for a kernel state ("LISTEN", "ESTAB", "UNCONN" for close, ...).
inline std::string_view ss_state_name(TcpState state) {
  static constexpr std::string_view kNames[] = {
      "UNKNOWN", "ESTAB",      "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
      "UNCONN",  "CLOSE-WAIT", "LAST-ACK", "LISTEN",   "CLOSING",    "SYN-RECV"};
  const auto index = static_cast<std::size_t>(state);
  return index < std::size(kNames) ? kNames[index] : "UNKNOWN";
}

// Blocks until the peer's FIN arrived on `s` (read returns 0), at most `timeout_ms`.
inline void wait_for_eof(const TestSocket& s, int timeout_ms = 2000) {
  pollfd p{s.fd(), POLLIN, 0};
  char byte;
  if (poll(&p, 1, timeout_ms) != 1 || read(s.fd(), &byte, 1) != 0) {
    throw std::runtime_error("no EOF from the peer within " + std::to_string(timeout_ms) + " ms");
  }
}

// Blocks until the TCP socket `s` is in `state` (TCP_INFO), at most `timeout_ms`: state
// changes driven by the peer (an ACK) can lag behind what the test did.
inline void wait_for_tcp_state(const TestSocket& s, TcpState state, int timeout_ms = 2000) {
  for (int waited = 0; waited <= timeout_ms; ++waited) {
    tcp_info info{};
    socklen_t size = sizeof info;
    if (getsockopt(s.fd(), IPPROTO_TCP, TCP_INFO, &info, &size) != 0) {
      throw_errno("getsockopt(TCP_INFO)");
    }
    if (info.tcpi_state == static_cast<std::uint8_t>(state)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  throw std::runtime_error("TCP socket not in state " + std::string(to_string(state)) + " within " +
                           std::to_string(timeout_ms) + " ms");
}

// Every kind of socket the exporter must count, each group on its own fresh port, plus
// sockets on unwatched ports that no source may return. Ports are sorted, as in WatchSet.
struct SocketMix {
  // TCP, watched.
  TestSocket loopback_listener;                  // 127.0.0.1:tcp_a
  TcpConnection loopback_connection;             // 127.0.0.1 -> tcp_a: inbound + outbound
  TcpConnection half_closed;                     // client shut down writing: fin_wait2 + close_wait
  TestSocket ipv4_listener, ipv6_only_listener;  // 0.0.0.0:tcp_b and [::]:tcp_b V6ONLY
  TcpConnection ipv6_connection;                 // ::1 -> tcp_b
  TestSocket dual_stack_listener;                // [::]:tcp_c, counts once, as ipv6
  TcpConnection mapped_connection;               // 127.0.0.1 -> [::]:tcp_c (::ffff:127.0.0.1)
  TestSocket reuseport_listeners[2];             // 127.0.0.1:tcp_d SO_REUSEPORT
  // UDP, watched.
  TestSocket udp_bound;                            // 127.0.0.1:udp_e
  TestSocket udp_connected;                        // connected to 127.0.0.1:udp_e
  TestSocket udp_ipv4_bound, udp_ipv6_only_bound;  // 0.0.0.0:udp_f and [::]:udp_f V6ONLY
  TestSocket udp_ipv6_connected;                   // connected to [::1]:udp_f
  TestSocket udp_dual_stack_bound;                 // [::]:udp_g
  TestSocket udp_reuseport[2];                     // 127.0.0.1:udp_h SO_REUSEPORT
  // Unwatched.
  TestSocket unwatched_listener;
  TcpConnection unwatched_connection;
  TestSocket unwatched_udp_bound, unwatched_udp_connected;

  std::vector<std::uint16_t> tcp_ports;  // tcp_a..tcp_d
  std::vector<std::uint16_t> udp_ports;  // udp_e..udp_h
  std::uint16_t unwatched_tcp_port = 0;
  std::uint16_t unwatched_udp_port = 0;

  WatchSet watch_set() const { return WatchSet{tcp_ports, udp_ports}; }
};

inline void open_tcp_part(SocketMix& m) {
  const SocketOptions v6only{true, false};
  const SocketOptions reuseport{false, true};
  m.loopback_listener = open_listener(Protocol::kTcp, "127.0.0.1");
  m.loopback_connection = connect_tcp(m.loopback_listener, "127.0.0.1");
  m.half_closed = connect_tcp(m.loopback_listener, "127.0.0.1");
  if (shutdown(m.half_closed.client.fd(), SHUT_WR) != 0) throw_errno("shutdown");
  wait_for_eof(m.half_closed.server);
  wait_for_tcp_state(m.half_closed.client, TcpState::kFinWait2);
  std::vector<TestSocket> pair =
      open_listener_group(Protocol::kTcp, {{"0.0.0.0", {}}, {"::", v6only}});
  m.ipv4_listener = std::move(pair[0]);
  m.ipv6_only_listener = std::move(pair[1]);
  m.ipv6_connection = connect_tcp(m.ipv6_only_listener, "::1");
  m.dual_stack_listener = open_listener(Protocol::kTcp, "::");
  m.mapped_connection = connect_tcp(m.dual_stack_listener, "127.0.0.1");
  pair = open_listener_group(Protocol::kTcp, {{"127.0.0.1", reuseport}, {"127.0.0.1", reuseport}});
  m.reuseport_listeners[0] = std::move(pair[0]);
  m.reuseport_listeners[1] = std::move(pair[1]);
  m.tcp_ports = {m.loopback_listener.local_port(), m.ipv4_listener.local_port(),
                 m.dual_stack_listener.local_port(), m.reuseport_listeners[0].local_port()};
}

inline void open_udp_part(SocketMix& m) {
  const SocketOptions v6only{true, false};
  const SocketOptions reuseport{false, true};
  m.udp_bound = open_listener(Protocol::kUdp, "127.0.0.1");
  const std::uint16_t e = m.udp_bound.local_port();
  m.udp_connected = open_connection(Protocol::kUdp, "127.0.0.1", e);
  std::vector<TestSocket> pair =
      open_listener_group(Protocol::kUdp, {{"0.0.0.0", {}}, {"::", v6only}});
  m.udp_ipv4_bound = std::move(pair[0]);
  m.udp_ipv6_only_bound = std::move(pair[1]);
  const std::uint16_t f = m.udp_ipv4_bound.local_port();
  m.udp_ipv6_connected = open_connection(Protocol::kUdp, "::1", f);
  m.udp_dual_stack_bound = open_listener(Protocol::kUdp, "::");
  pair = open_listener_group(Protocol::kUdp, {{"127.0.0.1", reuseport}, {"127.0.0.1", reuseport}});
  m.udp_reuseport[0] = std::move(pair[0]);
  m.udp_reuseport[1] = std::move(pair[1]);
  m.udp_ports = {e, f, m.udp_dual_stack_bound.local_port(), m.udp_reuseport[0].local_port()};
}

inline SocketMix open_socket_mix() {
  SocketMix m;
  open_tcp_part(m);
  open_udp_part(m);
  m.unwatched_listener = open_listener(Protocol::kTcp, "127.0.0.1");
  m.unwatched_tcp_port = m.unwatched_listener.local_port();
  m.unwatched_connection = connect_tcp(m.unwatched_listener, "127.0.0.1");
  m.unwatched_udp_bound = open_listener(Protocol::kUdp, "127.0.0.1");
  m.unwatched_udp_port = m.unwatched_udp_bound.local_port();
  m.unwatched_udp_connected = open_connection(Protocol::kUdp, "127.0.0.1", m.unwatched_udp_port);
  std::sort(m.tcp_ports.begin(), m.tcp_ports.end());
  std::sort(m.udp_ports.begin(), m.udp_ports.end());
  return m;
}

}  // namespace port_exporter::test
