// SPDX-License-Identifier: Apache-2.0
// Traffic for the closed-attempts probe benchmark (bench/closed_attempts.sh):
//
//   packet_flood udp ADDRESS PORT SECONDS [RATE]   1-byte datagrams to ADDRESS:PORT (a closed
//       port: every one is dropped for want of a socket, which is what the probe looks at),
//       sendmmsg in batches, paced to RATE per second when given, else as fast as one thread
//       can; prints "sent=N seconds=S rate=R".
//   packet_flood tcp-stream SECONDS                a TCP connection over 127.0.0.1 between two
//       threads, 64 KiB writes; prints "bytes=N seconds=S mib_per_s=M" (loopback throughput,
//       which the probe must not change: its packets are consumed, never dropped).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int flood_udp(const char* address, int port, double seconds, long rate) {
  sockaddr_storage target{};
  socklen_t target_len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&target);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&target);
  if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    target_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    target_len = sizeof *v6;
  } else {
    std::fprintf(stderr, "packet_flood: bad address %s\n", address);
    return 2;
  }
  const int fd = socket(target.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("packet_flood: socket");
    return 1;
  }
  // Unconnected, so the ICMP port unreachable that answers some datagrams never comes back
  // as ECONNREFUSED on the next send.
  constexpr int kBatch = 32;
  char byte = 'k';
  iovec iov{&byte, 1};
  std::array<mmsghdr, kBatch> messages{};
  for (auto& m : messages) {
    m.msg_hdr.msg_name = &target;
    m.msg_hdr.msg_namelen = target_len;
    m.msg_hdr.msg_iov = &iov;
    m.msg_hdr.msg_iovlen = 1;
  }
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  long sent = 0;
  while (Clock::now() < end) {
    if (rate > 0) {
      // Paced: never ahead of rate * elapsed.
      const double allowed = static_cast<double>(rate) * seconds_since(start);
      if (static_cast<double>(sent) >= allowed) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
    }
    const int n = sendmmsg(fd, messages.data(), kBatch, 0);
    if (n > 0) sent += n;
  }
  const double elapsed = seconds_since(start);
  close(fd);
  std::printf("sent=%ld seconds=%.3f rate=%.0f\n", sent, elapsed,
              static_cast<double>(sent) / elapsed);
  return 0;
}

int tcp_stream(double seconds) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof any;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&any), &len) != 0) {
    std::perror("packet_flood: listen");
    return 1;
  }
  std::atomic<long> received{0};
  std::thread reader([&] {
    const int fd = accept(listener, nullptr, nullptr);
    std::vector<char> buffer(1 << 16);
    for (;;) {
      const ssize_t n = read(fd, buffer.data(), buffer.size());
      if (n <= 0) break;
      received += n;
    }
    close(fd);
  });
  const int writer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (writer < 0 || connect(writer, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) {
    std::perror("packet_flood: connect");
    return 1;
  }
  std::vector<char> chunk(1 << 16, 'x');
  // Count only what was received inside the window (the reader's tally at the end).
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    if (write(writer, chunk.data(), chunk.size()) < 0) break;
  }
  const long bytes = received.load();
  const double elapsed = seconds_since(start);
  close(writer);
  reader.join();
  close(listener);
  std::printf("bytes=%ld seconds=%.3f mib_per_s=%.1f\n", bytes, elapsed,
              static_cast<double>(bytes) / elapsed / (1 << 20));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "udp" && (argc == 5 || argc == 6)) {
    return flood_udp(argv[2], std::atoi(argv[3]), std::atof(argv[4]),
                     argc == 6 ? std::atol(argv[5]) : 0);
  }
  if (mode == "tcp-stream" && argc == 3) return tcp_stream(std::atof(argv[2]));
  std::fprintf(stderr,
               "usage: packet_flood udp ADDRESS PORT SECONDS [RATE]\n"
               "       packet_flood tcp-stream SECONDS\n");
  return 2;
}
