// SPDX-License-Identifier: Apache-2.0
// netns_sweep: what sweeping one more network namespace adds to a collection, in the
// setns (netlink) mode, with the connection dumps out of it (their budget set to nothing:
// those are rate-limited and budgeted on their own, docs/namespaces.md). It runs
// NamespaceSweep::dump ROUNDS times (after one to open the namespaces' sockets) on
// whatever namespaces the machine has, watching PORT everywhere for tcp+udp and for tcp
// alone, and prints the median wall and thread CPU time of one dump and the number of
// namespaces swept. bench/netns.sh runs it without and with N empty namespaces and divides.
//
//   netns_sweep PORT [ROUNDS]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernel/namespace_sweep.h"
#include "kernel/netlink_source.h"

namespace pe = port_exporter;

namespace {

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int run(const char* label, const pe::WatchSet& watch, int rounds) {
  auto host = pe::NetlinkSource::open();
  if (!host) {
    std::fprintf(stderr, "netns_sweep: %s\n", host.error().c_str());
    return 1;
  }
  pe::NamespaceSweep sweep(std::move(host).value(), "/proc", "/run/netns");
  sweep.set_connections_budget(pe::WalkBudget(0, std::chrono::nanoseconds(0)));
  if (!sweep.dump(watch)) return 1;  // opens every namespace's socket
  std::vector<double> wall, cpu;
  for (int i = 0; i < rounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_us();
    const auto records = sweep.dump(watch);
    cpu.push_back(thread_cpu_us() - cpu_start);
    wall.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    if (!records) {
      std::fprintf(stderr, "netns_sweep: %s\n", records.error().c_str());
      return 1;
    }
  }
  const pe::SweptNamespaces swept = sweep.swept_namespaces();
  std::printf("%s wall_us=%.1f cpu_us=%.1f namespaces=%llu\n", label, median(wall), median(cpu),
              static_cast<unsigned long long>(swept.via_netlink));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [ROUNDS]\n", argv[0]);
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::strtol(argv[1], nullptr, 10));
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 21;
  pe::WatchSet both{{port}, {port}, {port}, {port}};
  pe::WatchSet tcp{{port}, {}, {port}, {}};
  return run("tcp+udp", both, rounds) != 0 || run("tcp", tcp, rounds) != 0 ? 1 : 0;
}
