// SPDX-License-Identifier: Apache-2.0
// Hostile HTTP clients for the network-edge tests and `make bench`: N connections that send
// nothing (idle) or one header byte a second (slowloris), re-opened as the server closes
// them, from their own loopback address (127.0.0.2: "one client"); and a prober that times
// real requests from 127.0.0.1 while they run.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace port_exporter::test {

// Lets this process hold `fds` descriptors (the soft limit up to the hard one).
inline void allow_fds(rlim_t fds) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < fds) {
    limit.rlim_cur = std::min(fds, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

inline sockaddr_in loopback(const char* address, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, address, &a.sin_addr);
  return a;
}

class SlowClients {
 public:
  enum class Mode { kIdle, kSlowHeader };

  // Starts `count` connections to 127.0.0.1:port from 127.0.0.2 on a thread of its own;
  // with `reconnect`, each one the server closes is opened again at once. `addresses` > 1
  // spreads them over 127.0.0.2, .3, ... (that many clients instead of one).
  SlowClients(int port, int count, Mode mode, bool reconnect, int addresses = 1)
      : port_(port),
        mode_(mode),
        reconnect_(reconnect),
        addresses_(addresses),
        slots_(static_cast<std::size_t>(count)) {
    allow_fds(static_cast<rlim_t>(count) + 256);
    for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i] = open_one(i);
    thread_ = std::thread([this] { run(); });
  }
  ~SlowClients() {
    stop_ = true;
    thread_.join();
    for (int fd : slots_) {
      if (fd >= 0) ::close(fd);
    }
  }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  int open_now() const { return open_.load(); }  // connections currently open
  long closed_by_server() const { return closed_.load(); }

 private:
  int open_one(std::size_t slot) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    const std::string source =
        "127.0.0." + std::to_string(2 + slot % static_cast<std::size_t>(addresses_));
    const sockaddr_in from = loopback(source.c_str(), 0);
    const sockaddr_in to = loopback("127.0.0.1", port_);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0 ||
        (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
         errno != EINPROGRESS)) {
      ::close(fd);
      return -1;
    }
    ++open_;
    return fd;
  }

  // Each round: note connections the server closed (re-open them), and in slowloris mode
  // send every open one its next header byte, once a second. The header never ends.
  void run() {
    static const std::string kHeader = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    std::vector<std::size_t> sent(slots_.size(), 0);
    auto next_byte = std::chrono::steady_clock::now();
    std::vector<pollfd> wait(slots_.size());
    while (!stop_) {
      for (std::size_t i = 0; i < slots_.size(); ++i) wait[i] = {slots_[i], POLLIN, 0};
      poll(wait.data(), wait.size(), 20);
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i] >= 0 && (wait[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          char sink[4096];
          if (::recv(slots_[i], sink, sizeof sink, MSG_DONTWAIT) > 0) continue;
          ::close(slots_[i]);
          slots_[i] = -1;
          --open_;
          ++closed_;
          sent[i] = 0;
        }
        if (slots_[i] < 0 && reconnect_) slots_[i] = open_one(i);
      }
      if (mode_ == Mode::kSlowHeader && std::chrono::steady_clock::now() >= next_byte) {
        next_byte += std::chrono::seconds(1);
        for (std::size_t i = 0; i < slots_.size(); ++i) {
          if (slots_[i] < 0) continue;
          const char byte = sent[i] < kHeader.size() ? kHeader[sent[i]] : 'a';
          if (::send(slots_[i], &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++sent[i];
        }
      }
    }
  }

  const int port_;
  const Mode mode_;
  const bool reconnect_;
  const int addresses_;
  std::vector<int> slots_;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0};
  std::atomic<long> closed_{0};
  std::thread thread_;
};

// One timed GET of `path` on a new connection from 127.0.0.1: the status and the time to
// the complete response, or status 0 when it did not complete within `limit`.
struct Timed {
  int status = 0;
  double ms = 0;
};

inline Timed timed_get(int port, const std::string& path,
                       std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  Timed result;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw std::runtime_error("socket");
  const sockaddr_in to = loopback("127.0.0.1", port);
  connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  bool sent = false;
  std::string raw;
  while (elapsed() < static_cast<double>(limit.count())) {
    pollfd p{fd, static_cast<short>(sent ? POLLIN : POLLOUT), 0};
    poll(&p, 1, 50);
    if (p.revents == 0) continue;
    if (!sent) {
      sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
             static_cast<ssize_t>(request.size());
      if (!sent) break;  // refused or reset
      continue;
    }
    char buffer[65536];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      raw.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12)
      result.status = std::stoi(raw.substr(9, 3));
    break;
  }
  ::close(fd);
  result.ms = elapsed();
  return result;
}

struct LatencySummary {
  double p50 = 0, p99 = 0, max = 0;
  int failed = 0;  // no complete 200 within the limit
};

// `count` sequential probes of `path`, `gap` apart.
inline LatencySummary probe(int port, const std::string& path, int count,
                            std::chrono::milliseconds gap = std::chrono::milliseconds(20),
                            std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  std::vector<double> ms;
  LatencySummary summary;
  for (int i = 0; i < count; ++i) {
    const Timed t = timed_get(port, path, limit);
    if (t.status != 200) ++summary.failed;
    ms.push_back(t.ms);
    std::this_thread::sleep_for(gap);
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(std::ceil(q * ms.size())) - 1)];
  };
  summary.p50 = at(0.50);
  summary.p99 = at(0.99);
  summary.max = ms.back();
  return summary;
}

}  // namespace port_exporter::test
