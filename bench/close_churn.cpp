// SPDX-License-Identifier: Apache-2.0
// Closes sockets on unrelated ports at a steady rate, for the destroy-notification cost
// benchmark (bench/close_events.sh): each iteration binds a UDP socket to 127.0.0.1:0 (a
// port the kernel picks, never a watched one) and closes it, which makes the kernel send
// one destroy notification to every subscriber. Prints the rate it achieved.
//
//   close_churn RATE_PER_SECOND SECONDS
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: close_churn RATE_PER_SECOND SECONDS\n");
    return 2;
  }
  const long rate = std::atol(argv[1]);
  const double seconds = std::atof(argv[2]);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  // Paced per millisecond: rate/1000 closes, then sleep until the next millisecond.
  const double per_ms = static_cast<double>(rate) / 1000.0;
  double owed = 0;
  long closed = 0;
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (auto tick = start; tick < end; tick += std::chrono::milliseconds(1)) {
    for (owed += per_ms; owed >= 1; owed -= 1) {
      const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0) {
        std::perror("close_churn: socket/bind");
        return 1;
      }
      close(fd);
      ++closed;
    }
    std::this_thread::sleep_until(tick + std::chrono::milliseconds(1));
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("closed=%ld seconds=%.3f rate=%.0f\n", closed, elapsed, closed / elapsed);
  return 0;
}
